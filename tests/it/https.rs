//! https against the mock served over TLS (its host's `serve_io` on a rustls stream): the
//! runner trusts the system's root certificates (here pointed at a test CA with
//! `SSL_CERT_FILE`, as rustls-native-certs reads it), and refuses a certificate no root
//! vouches for.

use crate::common;

use std::sync::Arc;

use common::binary::{builtin_env, run};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use sms_conformance::mock::Fixture;
use sms_conformance::mock::server::serve_io;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A test CA (its PEM) and the mock served over TLS with a certificate it signed for
/// `localhost`; returns the CA and the https base URL.
async fn mock_over_tls() -> (String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &Issuer::from_params(&ca_params, &ca_key))
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://localhost:{}", tcp.local_addr().unwrap().port());
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let fixture = Arc::new(Fixture::builtin());
    tokio::spawn(async move {
        while let Ok((stream, _)) = tcp.accept().await {
            let (acceptor, fixture) = (acceptor.clone(), Arc::clone(&fixture));
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to serve.
                if let Ok(tls) = acceptor.accept(stream).await {
                    let _ = serve_io(tls, fixture).await;
                }
            });
        }
    });
    (ca.pem(), url)
}

#[tokio::test(flavor = "multi_thread")]
async fn https_works_with_the_roots_the_system_trusts() {
    let (ca, url) = mock_over_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let mut env = builtin_env();
    env.push(("SSL_CERT_FILE", ca_file.to_str().unwrap().to_owned()));
    let run = run(&["--base-url", &url], &env).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test read/valid-call ... ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_no_trusted_root_vouches_for_is_refused() {
    let (_, url) = mock_over_tls().await;
    let run = run(&["--base-url", &url, "read/"], &builtin_env()).await;
    assert_eq!(run.code, 3, "{}", run.all());
    assert!(
        run.stdout.contains("the target could not be reached"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.to_lowercase().contains("certificate"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_given_with_cacert_is_trusted() {
    let (ca, url) = mock_over_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let args = [
        "--base-url",
        &url,
        "--cacert",
        ca_file.to_str().unwrap(),
        "read/",
    ];
    let run = common::binary::run_data(&args, &builtin_env()).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test read/valid-call ... ok");

    std::fs::write(&ca_file, "not a certificate").unwrap();
    let run = common::binary::run_data(&args, &builtin_env()).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("--cacert"), "{}", run.stderr);
}
