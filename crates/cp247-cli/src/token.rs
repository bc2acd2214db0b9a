//! `cp247 token create|list|revoke --dir DIR`: the host operator's API tokens for machine
//! (API-only) accounts — a case-management system, a script, monitoring. A token is printed
//! once, when created; the node stores only its SHA-256. Every token expires (default and
//! maximum from the node's `[tokens]`).
//!
//! When the node runs, these commands go through its operator socket (`operator.sock` in the
//! node directory, mode 0600, only the node's user or root can open it), so a 24/7 node need
//! not stop; when it is stopped, they open its database directly. A person's own tokens are
//! issued by that person from the web interface's Tokens page, never here (ADR 0020).
//!
//! Exit codes: 0 done; 1 refused (the reason is printed).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cp247_domain::{Clock, SystemClock};
use cp247_server::auth::Role;
use cp247_server::config::{CONFIG_FILE_NAME, ConfigFile, NodeConfig};
use cp247_server::operator::{self, ClientError, OperatorRequest};
use cp247_server::tokens::{self, Grant, Issuer, OperatorPath, TokenRequest};
use cp247_store::{Page, Store, StoreError};
use serde_json::Value;

/// `cp247 token`
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token of a new machine (API-only) account and print it (once).
    Create {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// A unique name for the token (who or what uses it); its account is `token-NAME`.
        #[arg(long)]
        name: String,
        /// The account's role: officer, supervisor, administrator, read_only or monitor.
        #[arg(long, value_parser = Role::parse, required_unless_present = "user")]
        role: Option<Role>,
        /// Its lifetime in days (default and maximum: the node's `[tokens]`, 90 and 365).
        #[arg(long)]
        days: Option<u32>,
        /// Refused: a person issues their own tokens from the web interface's Tokens page.
        #[arg(long, hide = true)]
        user: Option<String>,
    },
    /// List the tokens (names, roles, accounts, origin, dates, state; never the tokens).
    List {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Revoke a token by its id (from `list`).
    Revoke {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The token's id.
        #[arg(long)]
        id: u64,
    },
}

fn load_config(dir: &Path) -> anyhow::Result<NodeConfig> {
    Ok(ConfigFile::load(
        &dir.join(CONFIG_FILE_NAME),
        &crate::serve::config_overrides(),
    )?)
}

/// Opens the node's database.
pub(crate) async fn open(dir: &Path) -> anyhow::Result<Store> {
    Ok(open_with_node(dir).await?.0)
}

/// Opens the node's database; also returns the node's address (for authenticator labels).
pub(crate) async fn open_with_node(dir: &Path) -> anyhow::Result<(Store, String)> {
    let config = load_config(dir)?;
    let node = config.address.to_string();
    Ok((open_store(&config).await?, node))
}

async fn open_store(config: &NodeConfig) -> anyhow::Result<Store> {
    Store::connect(&config.database_url, cp247_store::StoreOptions::default())
        .await
        .map_err(|e| match e {
            StoreError::Locked { .. } => anyhow::anyhow!(
                "{e}\nThe node is running and holds its database: stop it first. (`cp247 token` itself goes through the running node's operator socket, {}.)",
                operator::socket_path(&config.base_dir).display()
            ),
            other => anyhow::Error::new(other).context("cannot open the node's database"),
        })
}

/// The answer of the running node to `request`, or `None` when no node serves the socket.
async fn through_socket(
    config: &NodeConfig,
    request: &OperatorRequest,
) -> anyhow::Result<Option<Value>> {
    match operator::call(&operator::socket_path(&config.base_dir), request).await {
        Ok(v) => Ok(Some(v)),
        Err(ClientError::NotRunning(_)) => Ok(None),
        Err(ClientError::Refused { error, .. }) => bail!("{error}"),
        Err(e) => Err(e.into()),
    }
}

fn print_list(items: &[Value]) {
    let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    for t in items {
        let state = match t["revoked_at"].as_str() {
            Some(at) => format!("revoked {at}"),
            None => s(&t["state"]),
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\tcreated {}\texpires {}\t{state}",
            t["id"],
            s(&t["name"]),
            s(&t["role"]),
            s(&t["account"]),
            s(&t["origin"]),
            s(&t["created_at"]),
            s(&t["expires_at"]),
        );
    }
}

fn issue_error(e: tokens::IssueError) -> anyhow::Error {
    match e {
        tokens::IssueError::Store(inner) => anyhow::Error::new(inner),
        other => anyhow::anyhow!("{other}"),
    }
}

async fn create(
    dir: &Path,
    name: String,
    role: Role,
    days: Option<u32>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(dir)?;
    let request = OperatorRequest::Create {
        name: name.clone(),
        role: role.as_str().to_owned(),
        lifetime_days: days,
    };
    let (secret, view, how) = match through_socket(&config, &request).await? {
        Some(answer) => (
            answer["secret"]
                .as_str()
                .context("the node's answer has no token")?
                .to_owned(),
            answer["token"].clone(),
            "through the running node",
        ),
        None => {
            let store = open_store(&config).await?;
            let now = SystemClock.now();
            let issued = tokens::issue(
                &store,
                now,
                &config.file.tokens.policy(),
                &Issuer::Operator(OperatorPath::Offline),
                &TokenRequest {
                    name,
                    grant: Grant::Machine(role),
                    lifetime_days: days,
                },
            )
            .await
            .map_err(issue_error);
            store.close().await;
            let issued = issued?;
            (
                issued.secret.reveal().to_owned(),
                tokens::view(&issued.token, now),
                "in the stopped node's database",
            )
        }
    };
    println!("{secret}");
    eprintln!(
        "cp247: token '{}' ({}, account {}) issued {how}; it expires {}. It is shown only now — keep it secret",
        view["name"].as_str().unwrap_or("?"),
        view["role"].as_str().unwrap_or("?"),
        view["account"].as_str().unwrap_or("?"),
        view["expires_at"].as_str().unwrap_or("?"),
    );
    Ok(ExitCode::SUCCESS)
}

async fn list(dir: &Path) -> anyhow::Result<ExitCode> {
    let config = load_config(dir)?;
    // At most this many pages of 500 (a node with more tokens than that has other problems).
    const MAX_PAGES: u64 = 200;
    let page = |n: u64| Page {
        offset: n.saturating_mul(u64::from(operator::MAX_LIST)),
        limit: operator::MAX_LIST,
    };
    let first = OperatorRequest::List {
        offset: 0,
        limit: operator::MAX_LIST,
    };
    if let Some(mut answer) = through_socket(&config, &first).await? {
        for n in 1..=MAX_PAGES {
            print_list(answer["items"].as_array().map_or(&[][..], Vec::as_slice));
            if !answer["next"].is_object() {
                break;
            }
            let next = OperatorRequest::List {
                offset: page(n).offset,
                limit: operator::MAX_LIST,
            };
            answer = through_socket(&config, &next)
                .await?
                .context("the node stopped while listing")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_store(&config).await?;
    let now = SystemClock.now();
    let mut result = Ok(());
    for n in 0..MAX_PAGES {
        match store.api_tokens(page(n)).await {
            Ok(paged) => {
                let items: Vec<Value> = paged.items.iter().map(|t| tokens::view(t, now)).collect();
                print_list(&items);
                if paged.next.is_none() {
                    break;
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    store.close().await;
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn revoke(dir: &Path, id: u64) -> anyhow::Result<ExitCode> {
    let config = load_config(dir)?;
    let view = match through_socket(&config, &OperatorRequest::Revoke { id }).await? {
        Some(answer) => answer["token"].clone(),
        None => {
            let store = open_store(&config).await?;
            let now = SystemClock.now();
            let revoked = tokens::revoke(&store, now, &Issuer::Operator(OperatorPath::Offline), id)
                .await
                .map_err(issue_error);
            store.close().await;
            tokens::view(&revoked?, now)
        }
    };
    println!(
        "revoked token {id} ({}, account {})",
        view["name"].as_str().unwrap_or("?"),
        view["account"].as_str().unwrap_or("?")
    );
    Ok(ExitCode::SUCCESS)
}

/// `cp247 token …`.
pub fn run(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match args.command {
            TokenCommand::Create {
                dir,
                name,
                role,
                days,
                user,
            } => {
                if let Some(user) = user {
                    bail!(
                        "a token for a person's account ('{user}') is issued only by that person, signed in to the web interface (the API tokens page); `cp247 token create` issues tokens of machine (API-only) accounts: give --role"
                    );
                }
                let Some(role) = role else {
                    bail!("give --role");
                };
                create(&dir, name, role, days).await
            }
            TokenCommand::List { dir } => list(&dir).await,
            TokenCommand::Revoke { dir, id } => revoke(&dir, id).await,
        }
    })
}
