//! `cp247 demo`: a small network on this machine — three nodes (FR, GE, MD) as child
//! processes of this very binary (`cp247 serve`), on 127.0.0.1, with fresh node directories, a
//! fresh directory authority and a signed directory listing the three, API tokens, and a few
//! requests already exchanged. It prints each node's URL, the tokens and example `curl`
//! commands, then runs until Ctrl-C, which stops every node cleanly.
//!
//! Plain HTTP is used because every node is on loopback (the only place cp247 allows it);
//! everything else — sealing, signatures, receipts, the signed directory — is exactly what
//! nodes do across the network.
//!
//! Exit codes: 0 after a clean stop; 1 when the demo network could not be set up (the reason
//! and the failing node's log are printed).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::{NetworkSettings, NodePlan, ServeProcess, read_json};
use anyhow::{Context, bail};
use clap::Args;
use cp247_domain::{Clock, PartyCode, SystemClock};
use cp247_server::auth::Role;
use cp247_server::config::{ConfigFile, DeliverySection, Period};
use rand::Rng;
use serde_json::{Value, json};

/// `cp247 demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to create the demo network (default: a new temporary directory, removed at the
    /// end). An existing directory is refused.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the temporary directory at the end.
    #[arg(long)]
    pub keep: bool,
    /// Set up, exchange the sample requests, print the summary and stop at once (for scripts
    /// and tests).
    #[arg(long, hide = true)]
    pub exit_after_setup: bool,
}

/// The three demo Parties: code, name, time zone, duty phone.
const PARTIES: [(&str, &str, &str, &str); 3] = [
    ("FR", "France", "Europe/Paris", "+33199001234"),
    ("GE", "Georgia", "Asia/Tbilisi", "+995322000000"),
    (
        "MD",
        "Republic of Moldova",
        "Europe/Chisinau",
        "+37322000000",
    ),
];

struct DemoNode {
    code: String,
    url: String,
    dir: PathBuf,
    officer: String,
    admin: String,
    people: Vec<DemoPerson>,
    process: ServeProcess,
}

/// A demo person's credentials, printed for the web interface.
struct DemoPerson {
    username: &'static str,
    role: Role,
    password: String,
    totp_secret: String,
    otpauth_uri: String,
}

/// Creates the people who sign in to the web (an officer and an administrator, with random
/// passwords and TOTP secrets) in the node's database, before it starts.
async fn create_people(
    config: &Path,
    code: &str,
    now: jiff::Timestamp,
) -> anyhow::Result<Vec<DemoPerson>> {
    let config = ConfigFile::load(config, &[])?;
    let key = cp247_server::secrets::SecretsKey::load(&cp247_server::secrets::key_path(&config))?;
    let store =
        cp247_store::Store::connect(&config.database_url, cp247_store::StoreOptions::default())
            .await?;
    let mut people = Vec::new();
    for (username, name, role) in [
        ("officer", "Demo officer", Role::Officer),
        ("admin", "Demo administrator", Role::Administrator),
    ] {
        let password = crate::random_passphrase();
        let enrolment = cp247_server::accounts::enrol(
            &store,
            &key,
            username,
            &format!("{name} ({code})"),
            role,
            &cp247_server::accounts::Password::new(password.clone()),
            &cp247_server::accounts::issuer_for(&format!("{code} demo")),
            now,
        )
        .await
        .with_context(|| format!("cannot create the demo user {username}"))?;
        people.push(DemoPerson {
            username,
            role,
            password,
            totp_secret: enrolment.totp.to_base32(),
            otpauth_uri: enrolment.otpauth_uri,
        });
    }
    store.close().await;
    Ok(people)
}

/// `cp247 demo`: `exe` is the `cp247` executable, started as `cp247 serve` for each node.
pub fn run(args: DemoArgs, exe: &Path) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(demo(args, exe))
}

async fn demo(args: DemoArgs, exe: &Path) -> anyhow::Result<ExitCode> {
    cp247_federation::tls::install_crypto_provider();
    let (root, temporary) = match &args.dir {
        Some(dir) => {
            if dir.exists() {
                bail!(
                    "{} exists; cp247 demo creates a fresh directory",
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            (dir.clone(), false)
        }
        None => {
            let dir = std::env::temp_dir().join(format!(
                "cp247-demo-{}-{}",
                std::process::id(),
                rand::rng().random::<u32>()
            ));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            (dir, !args.keep)
        }
    };
    println!(
        "cp247 demo: setting up three nodes under {}",
        root.display()
    );
    let result = run_network(&root, exe, args.exit_after_setup).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&root);
    } else {
        println!("The demo files are kept in {}", root.display());
    }
    result
}

async fn run_network(root: &Path, exe: &Path, exit_after_setup: bool) -> anyhow::Result<ExitCode> {
    let now = SystemClock.now();
    let mut plans = Vec::new();
    for (code, name, zone, phone) in PARTIES {
        plans.push(NodePlan {
            party: PartyCode::parse(code)?,
            party_name: name.to_owned(),
            unit_name: format!("{name} 24/7 contact point (demo)"),
            time_zone: zone.to_owned(),
            duty_phone: phone.to_owned(),
            database_url: None,
        });
    }
    let settings = NetworkSettings {
        authority_name: "cp247 demo directory authority".to_owned(),
        delivery: DeliverySection {
            first_retry: Period::secs(1),
            max_backoff: Period::secs(30),
            poll_every: Period::millis(500),
            ..DeliverySection::default()
        },
        peers: None,
        refresh_every: Period::secs(30),
        directory_validity: jiff::SignedDuration::from_hours(30 * 24),
    };
    let provisioned = crate::provision(root, &plans, &settings, now).await?;

    let mut nodes = Vec::new();
    for node in provisioned {
        let people = match create_people(&node.node.config_path, &node.code, now).await {
            Ok(people) => people,
            Err(e) => {
                stop_all(&mut nodes).await;
                return Err(e);
            }
        };
        match node.spawn(exe, &[]).await {
            Ok(process) => nodes.push(DemoNode {
                url: node.url().to_owned(),
                dir: node.node.dir.clone(),
                code: node.code,
                officer: node.officer,
                admin: node.admin,
                people,
                process,
            }),
            Err(e) => {
                stop_all(&mut nodes).await;
                return Err(e);
            }
        }
    }

    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()?;
    let outcome = async {
        for n in &nodes {
            wait_ready(&http, n).await?;
        }
        exchange(&http, &nodes).await
    }
    .await;
    let exchanged = match outcome {
        Ok(lines) => lines,
        Err(e) => {
            stop_all(&mut nodes).await;
            return Err(e);
        }
    };

    print_summary(root, &nodes, &exchanged);
    if !exit_after_setup {
        println!("\nThe nodes run until you press Ctrl-C.");
        wait_for_stop().await;
        println!("\nStopping the nodes…");
    }
    let clean = stop_all(&mut nodes).await;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn wait_ready(http: &reqwest::Client, node: &DemoNode) -> anyhow::Result<()> {
    let url = format!("{}/readyz", node.url);
    for _ in 0..240 {
        if let Ok(r) = http.get(&url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!(
        "the {} node is not ready after 60 s (see {}/serve.log)",
        node.code,
        node.dir.display()
    )
}

async fn send(
    http: &reqwest::Client,
    from: &DemoNode,
    body: Value,
) -> anyhow::Result<(String, String)> {
    let response = http
        .post(format!("{}/api/v1/requests", from.url))
        .bearer_auth(&from.officer)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let answer = read_json(response, 1024 * 1024).await?;
    if status.as_u16() != 201 {
        bail!("{} refused a demo request: {answer}", from.code);
    }
    Ok((
        answer["ticket"].as_str().unwrap_or_default().to_owned(),
        answer["message_id"].as_str().unwrap_or_default().to_owned(),
    ))
}

async fn wait_delivered(
    http: &reqwest::Client,
    from: &DemoNode,
    ticket: &str,
    message_id: &str,
) -> anyhow::Result<()> {
    for _ in 0..240 {
        let response = http
            .get(format!("{}/api/v1/tickets/{ticket}", from.url))
            .bearer_auth(&from.officer)
            .send()
            .await?;
        let shown = read_json(response, 16 * 1024 * 1024).await?;
        let delivered = shown["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["message_id"] == message_id && m["delivery"]["state"] == "delivered");
        if delivered {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!(
        "a demo request from {} was not delivered within 60 s",
        from.code
    )
}

fn example(kind: cp247_forms::Kind) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(cp247_forms::examples::json(kind))?)
}

/// The sample traffic: FR asks MD to preserve data (Art. 29); FR sends MD a subscriber
/// information request (Art. 31); FR asks GE for technical assistance (Art. 35). Replies (the
/// Art. 30 disclosure among them) go through `POST /api/v1/cases/{ticket}/replies`.
async fn exchange(http: &reqwest::Client, nodes: &[DemoNode]) -> anyhow::Result<Vec<String>> {
    let node = |code: &str| {
        nodes
            .iter()
            .find(|n| n.code == code)
            .context("a demo node is missing")
    };
    let (fr, ge, md) = (node("FR")?, node("GE")?, node("MD")?);
    let mut lines = Vec::new();

    let (t1, m1) = send(http, fr, json!({ "to": "MD", "document": example(cp247_forms::Kind::Art29)?, "reference": "LYON-HOSPITAL-2026" })).await?;
    wait_delivered(http, fr, &t1, &m1).await?;
    lines.push(format!(
        "FR → MD  Art. 29 preservation request      ticket {t1}  delivered, receipt kept"
    ));

    let (t3, m3) = send(
        http,
        fr,
        json!({ "to": "MD", "document": example(cp247_forms::Kind::Art31)? }),
    )
    .await?;
    wait_delivered(http, fr, &t3, &m3).await?;
    lines.push(format!(
        "FR → MD  Art. 31 subscriber information    ticket {t3}  delivered, receipt kept"
    ));

    let mut art35 = example(cp247_forms::Kind::Art35)?;
    art35["requested_authority"] = json!({
        "party": "GE",
        "name": "Ministry of Internal Affairs, Cybercrime Division (24/7 contact point)"
    });
    let (t4, m4) = send(http, fr, json!({ "to": "GE", "document": art35 })).await?;
    wait_delivered(http, fr, &t4, &m4).await?;
    lines.push(format!(
        "FR → GE  Art. 35 technical assistance      ticket {t4}  delivered, receipt kept"
    ));
    let _ = (ge, md);
    Ok(lines)
}

fn print_summary(root: &Path, nodes: &[DemoNode], exchanged: &[String]) {
    println!("\nThree cp247 nodes are running on this machine:\n");
    for n in nodes {
        println!("  {}  {}", n.code, n.url);
        println!("      officer token: {}", n.officer);
        println!("      admin token:   {}", n.admin);
        println!("      web sign-in: {}/", n.url);
        for p in &n.people {
            println!(
                "        {} ({}): password {}  TOTP secret {}",
                p.username,
                p.role.as_str(),
                p.password,
                p.totp_secret
            );
            println!("          {}", p.otpauth_uri);
        }
    }
    println!(
        "\nThe second factor is the 6-digit code of an authenticator app given the TOTP secret\n(or the otpauth URI); the demo's secrets are printed here only because it is a demo."
    );
    println!("\nRequests already exchanged (sealed, signed, delivered with signed receipts):\n");
    for line in exchanged {
        println!("  {line}");
    }
    if let Some(fr) = nodes.iter().find(|n| n.code == "FR") {
        let t = &fr.officer;
        let u = &fr.url;
        println!("\nTry (FR's node; the other nodes work the same way with their tokens):\n");
        println!("  curl -s {u}/readyz");
        println!("  curl -s {u}/federation/v1/identity");
        println!("  curl -s -H 'Authorization: Bearer {t}' {u}/api/v1/tickets");
        println!("  curl -s -H 'Authorization: Bearer {t}' {u}/api/v1/tickets/TICKET");
        println!("  cp247 form example art29 > art29.json   # then:");
        println!(
            "  curl -s -H 'Authorization: Bearer {t}' -H 'Content-Type: application/json' \\\n       -d \"{{\\\"to\\\": \\\"MD\\\", \\\"document\\\": $(cat art29.json)}}\" {u}/api/v1/requests"
        );
        println!(
            "  curl -s -H 'Authorization: Bearer {}' {u}/metrics",
            fr.admin
        );
    }
    println!(
        "\nNode directories, databases and logs (serve.log): {}",
        root.display()
    );
}

async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Asks every node to stop (closing its standard input; Ctrl-C has already reached them if it
/// came from a terminal) and waits; a node still running after 30 s is killed. True when all
/// stopped cleanly.
async fn stop_all(nodes: &mut [DemoNode]) -> bool {
    let mut clean = true;
    for n in nodes.iter_mut() {
        match n.process.stop(Duration::from_secs(30)).await {
            Ok(true) => {}
            Ok(false) => {
                eprintln!(
                    "cp247: the {} node did not stop cleanly in 30 s (killed if still running)",
                    n.code
                );
                clean = false;
            }
            Err(e) => {
                eprintln!("cp247: {e:#}");
                clean = false;
            }
        }
    }
    clean
}
