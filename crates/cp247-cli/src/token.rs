//! `cp247 token create|list|revoke --dir DIR`: API tokens for officers, administrators and
//! monitoring. A token is printed once, when created; the node stores only its SHA-256.
//!
//! These commands open the node's database directly, so on SQLite the node must be stopped
//! (it holds the database); a running node issues tokens through `POST /api/v1/tokens`.
//!
//! Exit codes: 0 done; 1 refused (the reason is printed).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cp247_domain::{Clock, SystemClock};
use cp247_server::auth::{IssuedToken, Role};
use cp247_server::config::{CONFIG_FILE_NAME, ConfigFile};
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, Page, Store, StoreError};
use serde_json::json;

/// `cp247 token`
#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token and print it (once).
    Create {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// A unique name for the token (who or what uses it).
        #[arg(long)]
        name: String,
        /// For a token of its own API-only account: officer, supervisor, administrator,
        /// read_only or monitor.
        #[arg(long, value_parser = Role::parse, conflicts_with = "user", required_unless_present = "user")]
        role: Option<Role>,
        /// For a token of a person's account (it acts with the account's role).
        #[arg(long)]
        user: Option<String>,
    },
    /// List the tokens (names, roles, dates; never the tokens).
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

/// Opens the node's database.
pub(crate) async fn open(dir: &std::path::Path) -> anyhow::Result<Store> {
    Ok(open_with_node(dir).await?.0)
}

/// Opens the node's database; also returns the node's address (for authenticator labels).
pub(crate) async fn open_with_node(dir: &std::path::Path) -> anyhow::Result<(Store, String)> {
    let config = ConfigFile::load(
        &dir.join(CONFIG_FILE_NAME),
        &crate::serve::config_overrides(),
    )?;
    let node = config.address.to_string();
    Store::connect(&config.database_url, cp247_store::StoreOptions::default())
        .await
        .map(|s| (s, node))
        .map_err(|e| match e {
            StoreError::Locked { .. } => anyhow::anyhow!(
                "{e}\nThe node is running and holds its database: stop it first, or issue the token through the running node (POST /api/v1/tokens with an admin token)."
            ),
            other => anyhow::Error::new(other).context("cannot open the node's database"),
        })
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
                user,
            } => {
                let store = open(&dir).await?;
                let now = SystemClock.now();
                let issued = IssuedToken::generate();
                let (record, role) = match (role, user) {
                    (Some(role), _) => (issued.record(&name, role, now)?, role),
                    (None, Some(user)) => {
                        let account = match store.account_named(&user).await {
                            Ok(a) if a.disabled_at.is_none() => a,
                            Ok(_) => bail!("the account '{user}' is disabled"),
                            Err(StoreError::NotFound { .. }) => {
                                bail!("there is no account named '{user}'")
                            }
                            Err(e) => return Err(e.into()),
                        };
                        let role = Role::of(&account.role)
                            .context("the account's stored role is not one this version knows")?;
                        (issued.record_for(&name, &account, now), role)
                    }
                    (None, None) => bail!("give --role or --user"),
                };
                let mut tx = store.begin().await?;
                tx.create_api_token(&record).await.map_err(|e| match e {
                    StoreError::Conflict { .. } => {
                        anyhow::anyhow!("a token named '{name}' exists already")
                    }
                    other => other.into(),
                })?;
                tx.append_audit(&AuditRecord {
                    actor: Actor::parse("cli:token-create")?,
                    action: AuditAction::TokenIssue,
                    ticket: None,
                    result: AuditResult::Ok,
                    details: json!({ "name": name, "role": role.as_str() }),
                    at: now,
                })
                .await?;
                tx.commit().await?;
                store.close().await;
                println!("{}", issued.reveal());
                eprintln!(
                    "cp247: token '{name}' ({}) issued; it is shown only now — keep it secret",
                    role.as_str()
                );
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::List { dir } => {
                let store = open(&dir).await?;
                let tokens = store
                    .api_tokens(Page {
                        offset: 0,
                        limit: 500,
                    })
                    .await?;
                for t in &tokens.items {
                    let state = match t.revoked_at {
                        Some(at) => format!("revoked {at}"),
                        None => "live".to_owned(),
                    };
                    println!(
                        "{}\t{}\t{}\tcreated {}\t{state}",
                        t.id,
                        t.name,
                        t.role.as_str(),
                        t.created_at
                    );
                }
                store.close().await;
                Ok(ExitCode::SUCCESS)
            }
            TokenCommand::Revoke { dir, id } => {
                let store = open(&dir).await?;
                let now = SystemClock.now();
                let mut tx = store.begin().await?;
                let revoked = match tx.revoke_api_token(id, now).await {
                    Ok(t) => t,
                    Err(StoreError::NotFound { .. }) => bail!("there is no token with id {id}"),
                    Err(e) => return Err(e.into()),
                };
                tx.append_audit(&AuditRecord {
                    actor: Actor::parse("cli:token-revoke")?,
                    action: AuditAction::TokenRevoke,
                    ticket: None,
                    result: AuditResult::Ok,
                    details: json!({ "id": id, "name": revoked.name }),
                    at: now,
                })
                .await?;
                tx.commit().await?;
                store.close().await;
                println!("revoked token {id} ({})", revoked.name);
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
