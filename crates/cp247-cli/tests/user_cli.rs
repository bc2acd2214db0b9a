#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! `cp247 user add|list|reset-mfa|disable` on a node directory: secrets printed once, passwords
//! never on the command line, clear refusals (exit 1); `cp247 token create --user` is refused
//! (a person issues their own tokens from their signed-in session, ADR 0020).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use cp247_domain::{Clock, ContactPointRole, PartyCode, SystemClock};
use cp247_seal::Passphrase;
use cp247_server::provision::{self, Authority, NodeSpec};

const PASS: &str = "correct horse battery staple";

fn node_dir(root: &Path) -> std::path::PathBuf {
    let now = SystemClock.now();
    let authority = Authority::generate("Test secretariat", now).unwrap();
    let listen: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let spec = NodeSpec {
        party: PartyCode::parse("FR").unwrap(),
        point: ContactPointRole::Primary,
        name: "FR unit".into(),
        listen,
        endpoint: "http://127.0.0.1:9".into(),
        tls: false,
        database_url: None,
        directory_source: Some("../directory.json".into()),
        passphrase_file: true,
        delivery: None,
        peers: None,
        limits: None,
        refresh_every: None,
    };
    provision::init_node(
        &root.join("FR"),
        &spec,
        &authority.cert(),
        &Passphrase::new(PASS.into()),
        PASS,
        now,
    )
    .unwrap()
    .dir
}

fn cp247(args: &[&str], password: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cp247"));
    c.args(args).env_remove("CP247_USER_PASSWORD");
    if let Some(p) = password {
        c.env("CP247_USER_PASSWORD", p);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn users_are_added_listed_reset_and_disabled() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = node_dir(tmp.path());
    let d = dir.to_str().unwrap();
    let add = |user: &str, role: &str, password: Option<&str>| {
        cp247(
            &[
                "user",
                "add",
                "--dir",
                d,
                "--username",
                user,
                "--name",
                "Alice Martin",
                "--role",
                role,
            ],
            password,
        )
    };

    let o = add("alice", "officer", Some("a long enough password"));
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("totp_secret: "), "{out}");
    assert!(out.contains("otpauth_uri: otpauth://totp/"), "{out}");
    let codes = out.lines().filter(|l| l.starts_with("  ")).count();
    assert_eq!(codes, 10, "{out}");
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("totp_secret: "))
        .unwrap()
        .to_owned();

    // Refusals: no password, a short one, a duplicate, a role that does not sign in.
    let (_, err) = text(&add("bob", "officer", None));
    assert!(err.contains("never accepted on the command line"), "{err}");
    let o = add("bob", "officer", Some("short"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("too short"));
    let o = add("alice", "officer", Some("a long enough password"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("exists already"), "{:?}", text(&o));
    let o = add("mon", "monitor", Some("a long enough password"));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("API tokens only"), "{:?}", text(&o));

    // The database never holds the TOTP secret in clear: it is sealed under secrets.key.
    let mut db = Vec::new();
    for file in ["cp247.db", "cp247.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            db.extend(bytes);
        }
    }
    assert!(!db.is_empty());
    let db = String::from_utf8_lossy(&db);
    assert!(!db.contains(&secret), "the TOTP secret is stored in clear");
    assert!(
        db.contains("sealed:v1:"),
        "no sealed TOTP secret in the database"
    );

    let (out, _) = text(&cp247(&["user", "list", "--dir", d], None));
    assert!(out.contains("alice\tAlice Martin\tofficer"), "{out}");
    assert!(out.contains("active"));
    assert!(!out.contains(&secret), "list never shows secrets");

    // The operator does not issue tokens for a person's account (ADR 0020).
    let o = cp247(
        &[
            "token",
            "create",
            "--dir",
            d,
            "--name",
            "alice-cli",
            "--user",
            "alice",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("issued only by that person"),
        "{:?}",
        text(&o)
    );

    let o = cp247(
        &["user", "reset-mfa", "--dir", d, "--username", "alice"],
        None,
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(!out.contains(&secret), "a new secret");

    let o = cp247(
        &["user", "disable", "--dir", d, "--username", "alice"],
        None,
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let (out, _) = text(&cp247(&["user", "list", "--dir", d], None));
    assert!(out.contains("disabled"), "{out}");
    let o = cp247(
        &["user", "disable", "--dir", d, "--username", "nobody"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("no account named 'nobody'"));
}
