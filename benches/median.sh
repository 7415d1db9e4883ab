# The bench scripts' statistic, sourced by them: a median and the values that bound it with
# 95% confidence, the order statistics of ranks (n - 1.96 sqrt n) / 2 and
# 1 + (n + 1.96 sqrt n) / 2, which hold whatever the distribution. A target is met robustly
# when the whole interval is on its side of the line.

# median_interval: numbers on stdin, one a line → "median low high".
median_interval() {
  sort -g | awk '{v[NR] = $1} END {
    low = int((NR - 1.96 * sqrt(NR)) / 2); high = int(1 + (NR + 1.96 * sqrt(NR)) / 2 + 0.999)
    if (low < 1) low = 1
    if (high > NR) high = NR
    printf "%s %s %s\n", v[int((NR + 1) / 2)], v[low], v[high]
  }'
}
