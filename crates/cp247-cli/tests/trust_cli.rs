#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap: a failure is a test failure with its message.

//! `cp247 init` and `cp247 key export` through the real binary: what a node directory holds,
//! what init refuses, and how passphrases are taken.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const T0: &str = "2026-11-02T09:00:00Z";
const PASS: &str = "correct horse battery staple";

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cp247"));
    c.args(args).env_remove("CP247_PASSPHRASE");
    c
}

fn run_with_env(args: &[&str]) -> Output {
    cmd(args).env("CP247_PASSPHRASE", PASS).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn authority(root: &Path) -> String {
    let o = run_with_env(&[
        "directory",
        "authority-init",
        "--dir",
        root.join("auth").to_str().unwrap(),
        "--name",
        "Secretariat of the 24/7 Network",
        "--faked-system-time",
        T0,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    root.join("auth/authority-cert.asc")
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn init_creates_a_node_directory_and_exports_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = authority(tmp.path());
    let dir = tmp.path().join("fr");
    let d = dir.to_str().unwrap();
    let pass_file = tmp.path().join("pass");
    std::fs::write(&pass_file, format!("{PASS}\n")).unwrap();
    let o = cmd(&[
        "init",
        "--dir",
        d,
        "--party",
        "FR",
        "--name",
        "OCLCTIC 24/7",
        "--authority-cert",
        &cert,
        "--endpoint",
        "https://cp247.police.example.fr/",
        "--passphrase-file",
        pass_file.to_str().unwrap(),
        "--faked-system-time",
        T0,
    ])
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("party:          FR"), "{out}");
    assert!(!text(&o).contains(PASS), "the passphrase is never printed");

    let config = std::fs::read_to_string(dir.join("cp247.toml")).unwrap();
    for needle in [
        "party = \"FR\"",
        "listen = \"127.0.0.1:0\"",
        "endpoint = \"https://cp247.police.example.fr/\"",
        "database_url = \"sqlite://",
        "authority_cert = \"authority-cert.asc\"",
        "directory_grace_days = 7",
    ] {
        assert!(config.contains(needle), "{needle} not in\n{config}");
    }
    let key = std::fs::read_to_string(dir.join("node-key.asc")).unwrap();
    assert!(key.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    let mode = std::fs::metadata(dir.join("node-key.asc"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the secret key is readable by its owner only"
    );
    // The key that seals TOTP seeds: its own private file, not derived from the passphrase.
    let secrets = std::fs::read_to_string(dir.join("secrets.key")).unwrap();
    assert!(secrets.starts_with("cp247-secrets-key-v1 "), "{secrets}");
    assert!(!secrets.contains(PASS));
    let mode = std::fs::metadata(dir.join("secrets.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the secrets key is private");
    assert_eq!(
        std::fs::read_to_string(dir.join("authority-cert.asc")).unwrap(),
        std::fs::read_to_string(&cert).unwrap(),
        "the authority certificate is pinned as given"
    );

    let o = cmd(&["key", "export", "--dir", d]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let exported = String::from_utf8(o.stdout).unwrap();
    assert!(exported.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    assert_eq!(
        exported,
        std::fs::read_to_string(dir.join("node-cert.asc")).unwrap()
    );
    assert!(!exported.contains("PRIVATE"));

    // Never over an existing node directory.
    let again = run_with_env(&[
        "init",
        "--dir",
        d,
        "--party",
        "FR",
        "--name",
        "x",
        "--authority-cert",
        &cert,
    ]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        text(&again).contains("never overwrites"),
        "{}",
        text(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("node-key.asc")).unwrap(),
        key
    );
}

#[test]
fn init_refuses_what_it_cannot_use() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = authority(tmp.path());
    let dir = |n: &str| tmp.path().join(n).to_str().unwrap().to_owned();
    // No passphrase at all.
    let o = cmd(&[
        "init",
        "--dir",
        &dir("a"),
        "--party",
        "FR",
        "--name",
        "x",
        "--authority-cert",
        &cert,
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("CP247_PASSPHRASE"), "{}", text(&o));
    assert!(!tmp.path().join("a").exists(), "nothing was created");
    // An empty passphrase file.
    let empty = tmp.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let o = cmd(&[
        "init",
        "--dir",
        &dir("b"),
        "--party",
        "FR",
        "--name",
        "x",
        "--authority-cert",
        &cert,
        "--passphrase-file",
        empty.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("empty"), "{}", text(&o));
    // No authority certificate: the trust anchor is mandatory.
    let o = run_with_env(&["init", "--dir", &dir("c"), "--party", "FR", "--name", "x"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("--authority-cert"), "{}", text(&o));
    // An authority "certificate" that is not one.
    let junk = tmp.path().join("junk.asc");
    std::fs::write(&junk, "hello").unwrap();
    let o = run_with_env(&[
        "init",
        "--dir",
        &dir("d"),
        "--party",
        "FR",
        "--name",
        "x",
        "--authority-cert",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("not a usable authority certificate"),
        "{}",
        text(&o)
    );
    // A passphrase is not accepted as a command-line value.
    let o = run_with_env(&[
        "init",
        "--dir",
        &dir("e"),
        "--party",
        "FR",
        "--name",
        "x",
        "--authority-cert",
        &cert,
        "--passphrase",
        PASS,
    ]);
    assert!(!o.status.success());
    // Bad Party codes and endpoints.
    for (party, endpoint, needle) in [
        ("UK", "https://a.example/", "GB"),
        ("EUROPOL", "https://a.example/", "organisation"),
        ("FR", "http://cp247.example.fr/", "loopback"),
    ] {
        let o = run_with_env(&[
            "init",
            "--dir",
            &dir("f"),
            "--party",
            party,
            "--name",
            "x",
            "--authority-cert",
            &cert,
            "--endpoint",
            endpoint,
        ]);
        assert!(!o.status.success());
        assert!(text(&o).contains(needle), "{needle}: {}", text(&o));
    }
    // A non-empty directory that is not a node directory.
    std::fs::create_dir(tmp.path().join("g")).unwrap();
    std::fs::write(tmp.path().join("g/notes.txt"), "x").unwrap();
    let o = run_with_env(&[
        "init",
        "--dir",
        &dir("g"),
        "--party",
        "FR",
        "--name",
        "x",
        "--authority-cert",
        &cert,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not empty"), "{}", text(&o));
}

#[test]
fn a_wrong_passphrase_does_not_unlock_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cert = authority(tmp.path());
    let dir = tmp.path().join("md");
    let o = run_with_env(&[
        "init",
        "--dir",
        dir.to_str().unwrap(),
        "--party",
        "MD",
        "--name",
        "CCC",
        "--authority-cert",
        &cert,
        "--faked-system-time",
        T0,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let auth = tmp.path().join("auth");
    let o = cmd(&[
        "directory",
        "sign",
        "--dir",
        auth.to_str().unwrap(),
        "--valid-for",
        "1d",
        "-o",
        tmp.path().join("d.json").to_str().unwrap(),
    ])
    .env("CP247_PASSPHRASE", "wrong")
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("passphrase does not unlock"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("wrong\n"));
}
