#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! The operator's commands on real node directories — the ones `serve` runs on: one
//! `cp247.toml` schema for every command (issue #11).
//!
//! - what `cp247 envelope seal` seals from a node's directory is accepted by a running node
//!   over `POST /federation/v1/messages`, and its receipt verifies;
//! - the trust commands work on a node directory made by `cp247 demo` (whose `cp247.toml`
//!   carries a `[delivery]` table);
//! - `cp247 init --dir <relative>` makes a node whose `serve`, started from the same working
//!   directory, opens its database.

mod node_harness;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use node_harness::{Network, NodeOptions, art29, client, free_port, get};

fn cp247() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cp247"));
    c.env_remove("CP247_PASSPHRASE");
    // The operator's own environment must not tune the nodes under test.
    for (name, _) in std::env::vars() {
        if name.starts_with("CP247__") {
            c.env_remove(name);
        }
    }
    c
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `cp247 ARGS` (in `cwd` when given) and requires exit 0; returns stdout.
fn ok_in(cwd: Option<&Path>, args: &[&str]) -> String {
    let mut c = cp247();
    c.args(args);
    if let Some(dir) = cwd {
        c.current_dir(dir);
    }
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "cp247 {}:\n{}",
        args.join(" "),
        text(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn ok(args: &[&str]) -> String {
    ok_in(None, args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sealed_by_the_cli_from_a_node_directory_is_accepted_by_a_running_node() {
    // Provisioned as the process tests and the demo do it: cp247.toml with [delivery] and
    // [peers] tables.
    let mut net = Network::new(vec![NodeOptions::sqlite("FR"), NodeOptions::sqlite("MD")]).await;
    let fr = net.node("FR").dir().to_path_buf();
    let config = std::fs::read_to_string(fr.join("cp247.toml")).unwrap();
    assert!(config.contains("[delivery]"), "{config}");
    net.node("MD").start().await;

    // The node's last accepted directory, from its configured source.
    let out = ok(&["directory", "update", "--dir", s(&fr)]);
    assert!(out.contains("accepted: serial 1"), "{out}");

    let request = fr.join("request.json");
    std::fs::write(&request, serde_json::to_vec(&art29()).unwrap()).unwrap();
    let sealed = fr.join("request.pgp");
    let pass = fr.join("passphrase");
    let o = cp247()
        .args([
            "envelope",
            "seal",
            "--dir",
            s(&fr),
            "--to",
            "MD",
            s(&request),
            "-o",
            s(&sealed),
            "--passphrase-file",
            s(&pass),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let said = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(said.contains("sealed art29_request "), "{said}");
    let ticket = said
        .split_whitespace()
        .skip_while(|w| *w != "ticket")
        .nth(1)
        .unwrap()
        .to_owned();

    // Posted as a peer posts it.
    let http = client();
    let response = http
        .post(format!(
            "{}/federation/v1/messages",
            net.node("MD").url.trim_end_matches('/')
        ))
        .header("content-type", "application/pgp-encrypted")
        .header("accept", "application/json")
        .body(std::fs::read(&sealed).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 200, "MD refused the CLI's message: {body}");
    assert_eq!(body["outcome"], "accepted", "{body}");
    let receipt = body["receipt"].as_str().unwrap();
    assert!(receipt.starts_with("-----BEGIN PGP MESSAGE-----"), "{body}");

    // The receipt verifies from FR's directory and acknowledges exactly what was sealed.
    let receipt_file = fr.join("receipt.asc");
    std::fs::write(&receipt_file, receipt).unwrap();
    let out = ok(&[
        "envelope",
        "verify-receipt",
        "--dir",
        s(&fr),
        s(&receipt_file),
        "--receiver",
        "MD",
        "--sealed",
        s(&sealed),
        "--passphrase-file",
        s(&pass),
    ]);
    assert!(
        out.contains("verified receipt signed by MD/primary"),
        "{out}"
    );

    // MD holds it as a case from FR.
    let at_md = get(&http, net.node("MD"), &format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(at_md["ticket"]["counterpart"], "FR", "{at_md}");
    net.node("MD").stop();
}

#[test]
fn the_trust_commands_work_on_a_node_directory_made_by_cp247_demo() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    // Sets up FR, GE and MD, exchanges the sample requests, stops the nodes, keeps the files.
    let o = cp247()
        .args(["demo", "--dir", s(&root), "--exit-after-setup"])
        .output()
        .unwrap();
    assert!(o.status.success(), "cp247 demo:\n{}", text(&o));
    let (fr, md) = (root.join("FR"), root.join("MD"));
    let config = std::fs::read_to_string(fr.join("cp247.toml")).unwrap();
    assert!(config.contains("[delivery]"), "a tuned node: {config}");

    let cert = ok(&["key", "export", "--dir", s(&fr)]);
    assert!(
        cert.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{cert}"
    );
    for dir in [&fr, &md] {
        // The running nodes kept the directory already, or this takes it from the source.
        let out = ok(&["directory", "update", "--dir", s(dir)]);
        assert!(
            out.contains("unchanged: serial 1") || out.contains("accepted: serial 1"),
            "{out}"
        );
    }
    let request = tmp.path().join("request.json");
    std::fs::write(&request, ok(&["form", "example", "art29"])).unwrap();
    let sealed = tmp.path().join("request.pgp");
    ok(&[
        "envelope",
        "seal",
        "--dir",
        s(&fr),
        "--to",
        "MD",
        s(&request),
        "-o",
        s(&sealed),
        "--passphrase-file",
        s(&fr.join("passphrase")),
    ]);
    let receipt = tmp.path().join("receipt.asc");
    let out = ok(&[
        "envelope",
        "open",
        "--dir",
        s(&md),
        s(&sealed),
        "--receipt",
        s(&receipt),
        "--passphrase-file",
        s(&md.join("passphrase")),
    ]);
    assert!(out.contains("verified sender: FR/primary"), "{out}");
    let out = ok(&[
        "envelope",
        "verify-receipt",
        "--dir",
        s(&fr),
        s(&receipt),
        "--receiver",
        "MD",
        "--sealed",
        s(&sealed),
        "--passphrase-file",
        s(&fr.join("passphrase")),
    ]);
    assert!(
        out.contains("verified receipt signed by MD/primary"),
        "{out}"
    );
}

#[test]
fn init_with_a_relative_directory_makes_a_node_whose_serve_opens_its_database() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    std::fs::write(cwd.join("pass"), "a passphrase for the relative node\n").unwrap();
    // As the README shows it: relative directories, run from the working directory.
    ok_in(
        Some(cwd),
        &[
            "directory",
            "authority-init",
            "--dir",
            "authority",
            "--name",
            "T-CY Secretariat",
            "--passphrase-file",
            "pass",
        ],
    );
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let endpoint = format!("http://127.0.0.1:{port}/");
    ok_in(
        Some(cwd),
        &[
            "init",
            "--dir",
            "node-fr",
            "--party",
            "FR",
            "--name",
            "OCLCTIC",
            "--authority-cert",
            "authority/authority-cert.asc",
            "--listen",
            &listen,
            "--endpoint",
            &endpoint,
            "--passphrase-file",
            "pass",
        ],
    );
    let mut child = cp247()
        .current_dir(cwd)
        .args([
            "serve",
            "--config",
            "node-fr/cp247.toml",
            "--passphrase-file",
            "pass",
            "--stop-on-stdin-eof",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(cwd.join("serve.log")).unwrap())
        .spawn()
        .unwrap();
    // The first line on standard output says it listens (or the node exits with the reason).
    let mut stdout = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let first = String::from_utf8_lossy(&first).into_owned();
    if !first.contains("listening on") {
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(cwd.join("serve.log")).unwrap_or_default();
        panic!("serve did not start: {first}\n{log}");
    }
    assert!(
        cwd.join("node-fr/cp247.db").is_file(),
        "the database is in the node directory"
    );
    assert!(!cwd.join("node-fr/node-fr").exists());
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");

    // The node's commands work from another working directory too.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let cert = ok_in(Some(&elsewhere), &["key", "export", "--dir", "../node-fr"]);
    assert!(cert.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
}
