//! A small deterministic generator (xorshift) for the tests that search by mutation, so that
//! a failure names its seed.

/// The generator's state; any odd seed starts it.
pub(crate) struct Dice(pub(crate) u64);

impl Dice {
    /// The generator of a search's `n`th mutant: `n` spread over the bits, and odd.
    pub(crate) fn nth(n: u64) -> Dice {
        Dice(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A number below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// How many mutants a search makes: the number in the environment variable `var` when it is
/// set (a longer search, in a release build), else `default`.
pub(crate) fn mutants(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
