#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! `cp247 token create|list|revoke --dir NODE` (ADR 0020): with the node stopped it opens the
//! database; with the node running (SQLite holds the database) it goes through the node's
//! operator socket, so a 24/7 node need not stop; a socket other users could open is refused;
//! a person's account is never the operator's to issue for.

mod node_harness;

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use node_harness::{Network, NodeOptions, client};

fn cp247(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cp247"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The listed tokens: name → (id, the whole line).
fn listed(out: &str) -> std::collections::BTreeMap<String, (String, String)> {
    out.lines()
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[1].to_owned(), (cols[0].to_owned(), l.to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_commands_work_through_the_running_nodes_socket_and_on_a_stopped_node() {
    let mut net = Network::new(vec![NodeOptions::sqlite("FR")]).await;
    let http = client();
    let node = net.node("FR");
    let dir = node.dir().to_str().unwrap().to_owned();
    let d = dir.as_str();

    // Stopped: the database directly.
    let o = cp247(&[
        "token", "create", "--dir", d, "--name", "cms", "--role", "officer", "--days", "30",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    let cms = out.trim().to_owned();
    assert!(cms.starts_with("cp247_"), "{out}");
    assert!(err.contains("in the stopped node's database"), "{err}");
    assert!(err.contains("account token-cms"), "{err}");
    // Never for a person's account.
    let o = cp247(&[
        "token", "create", "--dir", d, "--name", "x", "--user", "alice",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("issued only by that person"),
        "{:?}",
        text(&o)
    );

    // Running: through the socket (the SQLite database is held by the node).
    node.start().await;
    let o = cp247(&[
        "token",
        "create",
        "--dir",
        d,
        "--name",
        "cms-2",
        "--role",
        "supervisor",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}\n{}", node.log_tail());
    assert!(err.contains("through the running node"), "{err}");
    let cms2 = out.trim().to_owned();
    for token in [&cms, &cms2] {
        let r = http
            .get(format!("{}/api/v1/tickets", node.url))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let o = cp247(&["token", "list", "--dir", d]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        !out.contains(&cms) && !out.contains(&cms2),
        "never the tokens"
    );
    let rows = listed(&out);
    for name in ["local-officer", "local-admin", "cms", "cms-2"] {
        let line = &rows.get(name).unwrap_or_else(|| panic!("{name}: {out}")).1;
        assert!(
            line.contains("\toperator\t") && line.ends_with("\tlive"),
            "{line}"
        );
    }
    assert!(
        rows["cms-2"].1.contains("\tsupervisor\ttoken-cms-2\t"),
        "{out}"
    );

    // Revoked through the running node: at once.
    let id = rows["cms-2"].0.clone();
    let o = cp247(&["token", "revoke", "--dir", d, "--id", &id]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("revoked token"));
    let r = http
        .get(format!("{}/api/v1/tickets", node.url))
        .bearer_auth(&cms2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let o = cp247(&["token", "revoke", "--dir", d, "--id", "999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("no token with id 999"),
        "{:?}",
        text(&o)
    );
    let o = cp247(&[
        "token", "create", "--dir", d, "--name", "long", "--role", "monitor", "--days", "9999",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("1 to 365 days"), "{:?}", text(&o));

    // A socket other users could open is not used (and the node refuses it too).
    let socket = node.dir().join("operator.sock");
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let o = cp247(&["token", "list", "--dir", d]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("mode 0666"), "{:?}", text(&o));
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(cp247(&["token", "list", "--dir", d]).status.success());

    // Stopped again: the socket is gone, the database is read directly.
    node.stop();
    assert!(!socket.exists());
    let o = cp247(&["token", "list", "--dir", d]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(listed(&out)["cms-2"].1.contains("revoked"), "{out}");
    let o = cp247(&[
        "token",
        "revoke",
        "--dir",
        d,
        "--id",
        &listed(&out)["cms"].0,
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
}
