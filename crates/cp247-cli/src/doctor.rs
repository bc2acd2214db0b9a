//! `cp247 doctor --config FILE`: is this node set up right, and can it talk to each peer?
//!
//! For the node itself: the pinned authority certificate, the directory in use and its health,
//! whether the directory lists this node with its OpenPGP certificate and TLS pin. For each peer
//! with a node: reachable, TLS certificate as pinned, OpenPGP certificate as listed, clock skew,
//! the directory serial it uses, and the last delivery error this node saw. All in sentences.
//!
//! The last delivery errors are in the node's database. On SQLite a running node holds it, so
//! `doctor` then asks the running node instead (`GET /api/v1/peers`), with an admin token from
//! `--token-file`; without one it says so.
//!
//! Exit codes: 0 when nothing is wrong (warnings allowed); 1 when something stops traffic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use cp247_directory::{Channel, DirectoryState, PinnedAuthority};
use cp247_domain::{Address, Clock, PartyCode, SystemClock};
use cp247_federation::doctor::{Finding, PeerReport, Verdict, check_peer};
use cp247_federation::tls::{TlsIdentity, TlsPin};
use cp247_server::config::{ConfigFile, NodeConfig};
use cp247_store::{Page, Store, StoreError, StoreOptions};

/// `cp247 doctor`
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The node's configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// A file holding an admin API token, to read the last delivery errors from the running
    /// node when it holds its database.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "  ok  ",
        Verdict::Warning => " WARN ",
        Verdict::Problem => "FAILED",
    }
}

fn print(findings: &[Finding]) {
    for f in findings {
        println!("  [{}] {}", mark(f.verdict), f.sentence);
    }
}

/// What the node's database says about peers, or why it cannot be read.
enum PeerErrors {
    Known(BTreeMap<PartyCode, (Option<String>, Option<String>)>),
    Unavailable(String),
}

/// `cp247 doctor`.
pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let config = ConfigFile::load(&args.config, &crate::serve::config_overrides())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(doctor(config, args.token_file))
}

async fn doctor(config: NodeConfig, token_file: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    cp247_federation::tls::install_crypto_provider();
    let clock = SystemClock;
    let now = clock.now();
    let me = config.address;
    println!("cp247 doctor for {me} ({})", config.endpoint);
    let mut worst = Verdict::Ok;
    let mut own = Vec::new();

    let anchor = match cp247_server::node::load_authority(&config) {
        Ok(a) => {
            own.push(Finding {
                verdict: Verdict::Ok,
                sentence: format!("the pinned directory authority is {}", a.fingerprint()),
            });
            a
        }
        Err(e) => {
            own.push(Finding {
                verdict: Verdict::Problem,
                sentence: e.to_string(),
            });
            print(&own);
            return Ok(ExitCode::FAILURE);
        }
    };

    if let Some(advice) = Store::transport_advice(&config.database_url) {
        own.push(Finding {
            verdict: Verdict::Warning,
            sentence: advice,
        });
    }
    // The database: the directory the node accepted and what it saw of peers.
    let (state, peer_errors) = match Store::connect(&config.database_url, StoreOptions::default())
        .await
    {
        Ok(store) => {
            let state =
                cp247_federation::directory::restore(&store, anchor.clone(), policy(&config), now)
                    .await;
            let errors = match store
                .peer_states(Page {
                    offset: 0,
                    limit: 500,
                })
                .await
            {
                Ok(p) => PeerErrors::Known(
                    p.items
                        .into_iter()
                        .map(|s| {
                            (
                                s.party,
                                (s.last_error, s.last_error_at.map(|t| t.to_string())),
                            )
                        })
                        .collect(),
                ),
                Err(e) => PeerErrors::Unavailable(format!("the node's database failed: {e}")),
            };
            store.close().await;
            match state {
                Ok(s) if s.current().is_some() => (s, errors),
                _ => (directory_from_file(&config, &anchor, now, &mut own), errors),
            }
        }
        Err(StoreError::Locked { .. }) => {
            own.push(Finding {
                verdict: Verdict::Ok,
                sentence: "the node is running (it holds its database)".into(),
            });
            let errors = match &token_file {
                Some(path) => peers_from_api(&config, path).await,
                None => PeerErrors::Unavailable(
                    "the running node holds its database; give --token-file with an admin token to read the last delivery errors from it".into(),
                ),
            };
            (directory_from_file(&config, &anchor, now, &mut own), errors)
        }
        Err(e) => {
            own.push(Finding {
                verdict: Verdict::Problem,
                sentence: format!("the node's database cannot be opened: {e}"),
            });
            (
                directory_from_file(&config, &anchor, now, &mut own),
                PeerErrors::Unavailable("the node's database cannot be opened".into()),
            )
        }
    };

    let health = state.health(now);
    own.push(Finding {
        verdict: match health {
            cp247_directory::DirectoryHealth::Valid { .. } => Verdict::Ok,
            cp247_directory::DirectoryHealth::Grace { .. } => Verdict::Warning,
            _ => Verdict::Problem,
        },
        sentence: health.warning().unwrap_or_else(|| {
            format!(
                "the network directory (serial {}) is valid",
                state.current().map_or(0, |d| d.directory().serial())
            )
        }),
    });
    let Some(current) = state.current() else {
        println!("this node:");
        print(&own);
        return Ok(ExitCode::FAILURE);
    };
    let directory = current.directory();
    let our_serial = Some(directory.serial());
    check_self(&config, directory, &mut own);
    println!("this node:");
    print(&own);
    worst = worst.max(own.iter().map(|f| f.verdict).max().unwrap_or(Verdict::Ok));

    let limits = config.client_limits();
    let ahead_ms = i64::try_from(config.file.limits.max_clock_ahead.duration().as_millis())
        .unwrap_or(i64::MAX);
    let mut checks = tokio::task::JoinSet::new();
    for entry in directory.parties() {
        for (role, cp) in entry.contact_points() {
            let address = Address {
                party: entry.party,
                point: role,
            };
            if address == me {
                continue;
            }
            let cp = cp.clone();
            checks.spawn(async move {
                check_peer(address, &cp, &SystemClock, limits, ahead_ms, our_serial).await
            });
        }
    }
    let mut reports: Vec<PeerReport> = Vec::new();
    while let Some(done) = checks.join_next().await {
        if let Ok(report) = done {
            reports.push(report);
        }
    }
    reports.sort_by_key(|r| (r.address.party, r.address.point));
    for mut report in reports {
        match &peer_errors {
            PeerErrors::Known(map) => match map.get(&report.address.party) {
                Some((Some(error), at)) => report.findings.push(Finding {
                    verdict: Verdict::Warning,
                    sentence: format!(
                        "the last delivery error{}: {error}",
                        at.as_ref().map(|a| format!(" ({a})")).unwrap_or_default()
                    ),
                }),
                _ => report.findings.push(Finding {
                    verdict: Verdict::Ok,
                    sentence: "no delivery error recorded".into(),
                }),
            },
            PeerErrors::Unavailable(why) => report.findings.push(Finding {
                verdict: Verdict::Ok,
                sentence: format!("last delivery error not shown: {why}"),
            }),
        }
        println!(
            "{} ({}):",
            report.address,
            report.endpoint.as_deref().unwrap_or("no node")
        );
        print(&report.findings);
        worst = worst.max(report.verdict());
    }
    Ok(match worst {
        Verdict::Ok | Verdict::Warning => ExitCode::SUCCESS,
        Verdict::Problem => ExitCode::FAILURE,
    })
}

fn policy(config: &NodeConfig) -> cp247_directory::AcceptancePolicy {
    cp247_directory::AcceptancePolicy {
        grace: config.directory_grace,
        ..cp247_directory::AcceptancePolicy::default()
    }
}

/// The directory from the node's `directory` file, checked against the pinned authority.
fn directory_from_file(
    config: &NodeConfig,
    anchor: &PinnedAuthority,
    now: jiff::Timestamp,
    own: &mut Vec<Finding>,
) -> DirectoryState {
    let path = &config.directory_file;
    if !path.exists() {
        own.push(Finding {
            verdict: Verdict::Problem,
            sentence: format!("there is no directory at {}", path.display()),
        });
        return DirectoryState::new(anchor.clone(), policy(config));
    }
    match crate::node::read_signed_directory(path, None).and_then(|signed| {
        DirectoryState::restore(anchor.clone(), policy(config), &signed, now)
            .map_err(|e| anyhow::anyhow!("{e}"))
    }) {
        Ok(state) => state,
        Err(e) => {
            own.push(Finding {
                verdict: Verdict::Problem,
                sentence: format!("the directory {} is refused: {e:#}", path.display()),
            });
            DirectoryState::new(anchor.clone(), policy(config))
        }
    }
}

/// Does the directory list this node as it is?
fn check_self(config: &NodeConfig, directory: &cp247_directory::Directory, own: &mut Vec<Finding>) {
    let me = config.address;
    let Some(cp) = directory.contact_point(&me) else {
        own.push(Finding {
            verdict: Verdict::Problem,
            sentence: format!("the directory does not list {me}: peers refuse its messages"),
        });
        return;
    };
    let cert = std::fs::read_to_string(&config.cert)
        .ok()
        .and_then(|t| cp247_seal::Cert::from_armored(&t).ok());
    match cert {
        Some(cert) if cp.channel.keys().iter().any(|k| k.fingerprint == cert.fingerprint()) => {
            own.push(Finding {
                verdict: Verdict::Ok,
                sentence: format!(
                    "the directory lists this node's OpenPGP certificate {}",
                    cert.fingerprint()
                ),
            });
        }
        Some(cert) => own.push(Finding {
            verdict: Verdict::Problem,
            sentence: format!(
                "the directory does not list this node's OpenPGP certificate {}: peers refuse its messages",
                cert.fingerprint()
            ),
        }),
        None => own.push(Finding {
            verdict: Verdict::Problem,
            sentence: format!(
                "this node's certificate {} cannot be read",
                config.cert.display()
            ),
        }),
    }
    match (&cp.channel, &config.tls) {
        (Channel::Node(node), Some(paths)) => {
            match TlsIdentity::load(&paths.cert, &paths.key) {
                Ok(id) if *id.pin().as_bytes() == *node.tls_sha256.bytes() => own.push(Finding {
                    verdict: Verdict::Ok,
                    sentence: format!("the directory pins this node's TLS certificate {}", id.pin()),
                }),
                Ok(id) => own.push(Finding {
                    verdict: Verdict::Problem,
                    sentence: format!(
                        "this node's TLS certificate has SHA-256 {}, but the directory pins {}: peers refuse to connect",
                        id.pin(),
                        TlsPin::from_bytes(*node.tls_sha256.bytes())
                    ),
                }),
                Err(e) => own.push(Finding {
                    verdict: Verdict::Warning,
                    sentence: format!("this node's TLS identity cannot be read ({e}); it is generated at first start"),
                }),
            }
        }
        (Channel::Node(_), None) => own.push(Finding {
            verdict: Verdict::Ok,
            sentence: "this node serves plain HTTP on loopback (demo or test setup)".into(),
        }),
        (Channel::Email(_), _) => own.push(Finding {
            verdict: Verdict::Warning,
            sentence: "the directory lists this contact point with an e-mail channel, not this node".into(),
        }),
    }
}

/// Asks the running node for its peer states.
async fn peers_from_api(config: &NodeConfig, token_file: &std::path::Path) -> PeerErrors {
    let token = match crate::node::read_text(token_file, 4096) {
        Ok(t) => t.trim().to_owned(),
        Err(e) => return PeerErrors::Unavailable(format!("{e:#}")),
    };
    let builder = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10));
    let builder = match &config.tls {
        Some(paths) => match TlsIdentity::load(&paths.cert, &paths.key)
            .ok()
            .and_then(|id| cp247_federation::tls::pinned_client_config(id.pin()).ok())
        {
            Some(tls) => builder.tls_backend_preconfigured(tls),
            None => {
                return PeerErrors::Unavailable("this node's TLS identity cannot be read".into());
            }
        },
        None => builder,
    };
    let Ok(client) = builder.build() else {
        return PeerErrors::Unavailable("cannot build an HTTP client".into());
    };
    let url = format!("{}api/v1/peers", config.endpoint);
    let response = match client.get(&url).bearer_auth(&token).send().await {
        Ok(r) => r,
        Err(e) => {
            return PeerErrors::Unavailable(format!(
                "the running node did not answer at {url}: {e}"
            ));
        }
    };
    if !response.status().is_success() {
        return PeerErrors::Unavailable(format!(
            "the running node refused to list its peers (HTTP {})",
            response.status().as_u16()
        ));
    }
    let body = match cp247_localnet::read_json(response, 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => return PeerErrors::Unavailable(format!("unreadable answer: {e:#}")),
    };
    let mut map = BTreeMap::new();
    for item in body["items"].as_array().into_iter().flatten() {
        if let Some(party) = item["party"]
            .as_str()
            .and_then(|p| PartyCode::parse(p).ok())
        {
            map.insert(
                party,
                (
                    item["last_error"].as_str().map(str::to_owned),
                    item["last_error_at"].as_str().map(str::to_owned),
                ),
            );
        }
    }
    PeerErrors::Known(map)
}
