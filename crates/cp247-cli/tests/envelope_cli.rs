#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap: a failure is a test failure with its message.

//! The whole trust flow through the real binary: the authority publishes a directory, two
//! nodes take it, France seals a preservation request to Moldova, Moldova opens and verifies it
//! and signs a receipt that France verifies; then the refusals: a directory past its grace
//! period, a suspended Party, a message tampered with.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const T0: &str = "2026-11-02T09:00:00Z";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cp247"))
        .args(args)
        .env("CP247_PASSPHRASE", "correct horse battery staple")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(o.status.success(), "cp247 {args:?} failed:\n{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

fn fails(args: &[&str]) -> Output {
    let o = run(args);
    assert_eq!(o.status.code(), Some(1), "cp247 {args:?}:\n{}", text(&o));
    o
}

struct Net {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Net {
    fn p(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_owned()
    }
}

fn at(base: &str, hours: i64) -> String {
    let t: jiff::Timestamp = base.parse().unwrap();
    (t + jiff::SignedDuration::from_hours(hours)).to_string()
}

/// The authority, FR and MD nodes, and a directory signed at T0 valid for `valid`, taken by
/// both nodes.
fn network(valid: &str) -> Net {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_owned();
    let net = Net { _tmp: tmp, root };
    let auth = net.p("auth");
    ok(&[
        "directory",
        "authority-init",
        "--dir",
        &auth,
        "--name",
        "Secretariat of the 24/7 Network",
        "--faked-system-time",
        T0,
    ]);
    let cert = net.p("auth/authority-cert.asc");
    for (party, tz, phone, lang) in [
        ("FR", "Europe/Paris", "+33140978800", "fr"),
        ("MD", "Europe/Chisinau", "+37322577277", "ro"),
    ] {
        let dir = net.p(party);
        ok(&[
            "init",
            "--dir",
            &dir,
            "--party",
            party,
            "--name",
            &format!("{party} 24/7"),
            "--authority-cert",
            &cert,
            "--faked-system-time",
            T0,
        ]);
        let node_cert = net.p(&format!("{party}.asc"));
        std::fs::write(&node_cert, ok(&["key", "export", "--dir", &dir])).unwrap();
        ok(&[
            "directory",
            "add-party",
            "--dir",
            &auth,
            "--party",
            party,
            "--name",
            &format!("Party {party}"),
        ]);
        ok(&[
            "directory",
            "set-contact-point",
            "--dir",
            &auth,
            "--party",
            party,
            "--endpoint",
            &format!("https://cp247.police.example.{}/", party.to_lowercase()),
            "--tls-sha256",
            &"5e".repeat(32),
            "--cert",
            &node_cert,
            "--unit",
            "Cybercrime 24/7 unit",
            "--authority-kind",
            "police",
            "--authority-name",
            "National police",
            "--phone",
            phone,
            "--language",
            lang,
            "--language",
            "en",
            "--tz",
            tz,
            "--office-hours",
            "Mon-Fri 08:00-18:00",
        ]);
    }
    ok(&[
        "directory",
        "sign",
        "--dir",
        &auth,
        "--valid-for",
        valid,
        "-o",
        &net.p("directory.json"),
        "--faked-system-time",
        T0,
    ]);
    for party in ["FR", "MD"] {
        let out = ok(&[
            "directory",
            "update",
            "--dir",
            &net.p(party),
            &net.p("directory.json"),
            "--faked-system-time",
            T0,
        ]);
        assert!(out.contains("accepted: serial 1"), "{out}");
    }
    std::fs::write(net.p("request.json"), ok(&["form", "example", "art29"])).unwrap();
    net
}

fn seal_fr_to_md(net: &Net, when: &str, out: &str) -> Output {
    run(&[
        "envelope",
        "seal",
        "--dir",
        &net.p("FR"),
        "--to",
        "MD",
        &net.p("request.json"),
        "-o",
        &net.p(out),
        "--faked-system-time",
        when,
    ])
}

#[test]
fn france_seals_to_moldova_and_moldova_verifies() {
    let net = network("30d");
    let when = at(T0, 1);
    let o = seal_fr_to_md(&net, &when, "msg.asc");
    assert!(o.status.success(), "{}", text(&o));
    let sealed = std::fs::read_to_string(net.p("msg.asc")).unwrap();
    assert!(
        sealed.starts_with("-----BEGIN PGP MESSAGE-----"),
        "{sealed}"
    );
    let out = ok(&[
        "envelope",
        "open",
        "--dir",
        &net.p("MD"),
        &net.p("msg.asc"),
        "--receipt",
        &net.p("receipt.asc"),
        "--faked-system-time",
        &when,
    ]);
    assert!(out.contains("verified sender: FR/primary"), "{out}");
    assert!(out.contains("\"message_type\": \"art29_request\""), "{out}");
    assert!(out.contains("\"kind\": \"art29\""), "{out}");
    let receipt = ok(&[
        "envelope",
        "verify-receipt",
        "--dir",
        &net.p("FR"),
        &net.p("receipt.asc"),
        "--receiver",
        "MD",
        "--sealed",
        &net.p("msg.asc"),
        "--faked-system-time",
        &when,
    ]);
    assert!(
        receipt.contains("verified receipt signed by MD/primary"),
        "{receipt}"
    );
    assert!(receipt.contains("acknowledges"), "{receipt}");
    // The receipt is not France's to sign: expecting FR as the receiver is refused.
    let o = fails(&[
        "envelope",
        "verify-receipt",
        "--dir",
        &net.p("FR"),
        &net.p("receipt.asc"),
        "--receiver",
        "FR",
        "--faked-system-time",
        &when,
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("refused "),
        "{}",
        text(&o)
    );
    // France cannot open a message addressed to Moldova as Moldova: it is its own archive copy,
    // but the header's recipient is not France.
    let o = fails(&[
        "envelope",
        "open",
        "--dir",
        &net.p("FR"),
        &net.p("msg.asc"),
        "--faked-system-time",
        &when,
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("refused recipient_not_us"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_tampered_message_is_refused_with_its_reason() {
    let net = network("30d");
    let when = at(T0, 1);
    assert!(seal_fr_to_md(&net, &when, "msg.asc").status.success());
    let sealed = std::fs::read_to_string(net.p("msg.asc")).unwrap();
    // Change one character of the base64 body in the middle of the message.
    let mut lines: Vec<String> = sealed.lines().map(str::to_owned).collect();
    let mid = lines.len() / 2;
    let line = &mut lines[mid];
    let c = if line.starts_with('A') { "B" } else { "A" };
    line.replace_range(0..1, c);
    std::fs::write(net.p("bad.asc"), lines.join("\n") + "\n").unwrap();
    let o = fails(&[
        "envelope",
        "open",
        "--dir",
        &net.p("MD"),
        &net.p("bad.asc"),
        "--faked-system-time",
        &when,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("refused "), "{}", text(&o));
    assert!(!out.contains("verified sender"), "{out}");
}

#[test]
fn expired_directory_works_in_grace_with_a_warning_then_refuses() {
    // Valid 5 days from T0; grace until T0 + 12 days.
    let net = network("5d");
    let in_grace = at(T0, 24 * 8);
    let o = seal_fr_to_md(&net, &in_grace, "msg.asc");
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&[
        "envelope",
        "open",
        "--dir",
        &net.p("MD"),
        &net.p("msg.asc"),
        "--faked-system-time",
        &in_grace,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("THE NETWORK DIRECTORY HAS EXPIRED"), "{err}");
    assert!(err.contains("STOPS at"), "{err}");

    let after = at(T0, 24 * 13);
    let o = seal_fr_to_md(&net, &after, "late.asc");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("refused directory_unusable"),
        "{}",
        text(&o)
    );
    let o = fails(&[
        "envelope",
        "open",
        "--dir",
        &net.p("MD"),
        &net.p("msg.asc"),
        "--faked-system-time",
        &after,
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("refuses all traffic"),
        "{}",
        text(&o)
    );

    // A fresh directory restores traffic.
    let fresh_time = at(T0, 24 * 13);
    ok(&[
        "directory",
        "sign",
        "--dir",
        &net.p("auth"),
        "--valid-for",
        "30d",
        "-o",
        &net.p("directory2.json"),
        "--faked-system-time",
        &fresh_time,
    ]);
    let out = ok(&[
        "directory",
        "update",
        "--dir",
        &net.p("MD"),
        &net.p("directory2.json"),
        "--faked-system-time",
        &fresh_time,
    ]);
    assert!(out.contains("serial 2 replaces serial 1"), "{out}");
    ok(&[
        "directory",
        "update",
        "--dir",
        &net.p("FR"),
        &net.p("directory2.json"),
        "--faked-system-time",
        &fresh_time,
    ]);
    assert!(
        seal_fr_to_md(&net, &fresh_time, "again.asc")
            .status
            .success()
    );
    ok(&[
        "envelope",
        "open",
        "--dir",
        &net.p("MD"),
        &net.p("again.asc"),
        "--faked-system-time",
        &fresh_time,
    ]);
}

#[test]
fn a_suspended_partys_message_is_refused() {
    let net = network("30d");
    let when = at(T0, 2);
    // France seals while active.
    assert!(seal_fr_to_md(&net, &when, "msg.asc").status.success());
    // The authority suspends France from T0 + 1 h and publishes serial 2; Moldova takes it.
    ok(&[
        "directory",
        "suspend",
        "--dir",
        &net.p("auth"),
        "--party",
        "FR",
        "--reason",
        "Audit of the node's key handling after an incident.",
        "--since",
        &at(T0, 1),
    ]);
    ok(&[
        "directory",
        "sign",
        "--dir",
        &net.p("auth"),
        "--valid-for",
        "30d",
        "-o",
        &net.p("directory2.json"),
        "--faked-system-time",
        &when,
    ]);
    ok(&[
        "directory",
        "update",
        "--dir",
        &net.p("MD"),
        &net.p("directory2.json"),
        "--faked-system-time",
        &when,
    ]);
    let o = fails(&[
        "envelope",
        "open",
        "--dir",
        &net.p("MD"),
        &net.p("msg.asc"),
        "--faked-system-time",
        &when,
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("refused key_suspended"), "{}", text(&o));
    // Sealing to a suspended Party is refused too.
    ok(&[
        "directory",
        "update",
        "--dir",
        &net.p("FR"),
        &net.p("directory2.json"),
        "--faked-system-time",
        &when,
    ]);
    let o = run(&[
        "envelope",
        "seal",
        "--dir",
        &net.p("MD"),
        "--to",
        "FR",
        &net.p("request.json"),
        "-o",
        &net.p("x.asc"),
        "--faked-system-time",
        &when,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("refused party_suspended"),
        "{}",
        text(&o)
    );
    assert!(!Path::new(&net.p("x.asc")).exists());
}

#[test]
fn an_invalid_document_is_not_sealed() {
    let net = network("30d");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(net.p("request.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("urgency");
    std::fs::write(net.p("bad.json"), doc.to_string()).unwrap();
    let o = run(&[
        "envelope",
        "seal",
        "--dir",
        &net.p("FR"),
        "--to",
        "MD",
        &net.p("bad.json"),
        "-o",
        &net.p("x.asc"),
        "--faked-system-time",
        &at(T0, 1),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("refused document_invalid"), "{out}");
    assert!(out.contains("urgency"), "{out}");
    assert!(!Path::new(&net.p("x.asc")).exists());
    // A Party not in the directory.
    let o = run(&[
        "envelope",
        "seal",
        "--dir",
        &net.p("FR"),
        "--to",
        "DE",
        &net.p("request.json"),
        "--faked-system-time",
        &at(T0, 1),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("refused party_absent"),
        "{}",
        text(&o)
    );
}
