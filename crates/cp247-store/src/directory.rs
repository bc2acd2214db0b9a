//! The newest accepted network directory, kept so that a restart starts from it.
//!
//! The directory crate decides what to accept (signature, expiry, serial); the store keeps the
//! accepted bytes and refuses, as a second line of defence, to go back to an older serial.

use std::fmt;

use jiff::Timestamp;

use crate::codec::{get, get_ts, sha256_hex, us};
use crate::error::{StoreError, check_size};
use crate::store::{Store, Tx};

/// A signed directory as accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct DirectoryRecord {
    /// Its serial.
    pub serial: u64,
    /// The exact document bytes.
    pub document: Vec<u8>,
    /// The armored detached signature, when kept apart from the document.
    pub signature: Option<String>,
    /// When it was fetched.
    pub fetched_at: Timestamp,
}

impl fmt::Debug for DirectoryRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryRecord")
            .field("serial", &self.serial)
            .field("document", &format_args!("<{} bytes>", self.document.len()))
            .field("signature", &self.signature.as_ref().map(String::len))
            .field("fetched_at", &self.fetched_at)
            .finish()
    }
}

/// What [`Tx::save_directory`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectorySaved {
    /// It is now the stored directory.
    Stored,
    /// The same serial with the same bytes was already stored.
    Unchanged,
}

impl Tx {
    /// Stores `d` as the newest directory. A lower serial is a
    /// [`StoreError::DirectoryRollback`]; the same serial with other bytes is a
    /// [`StoreError::Conflict`].
    pub async fn save_directory(
        &mut self,
        d: &DirectoryRecord,
    ) -> Result<DirectorySaved, StoreError> {
        let r = self.save_directory_inner(d).await;
        self.track(r)
    }

    async fn save_directory_inner(
        &mut self,
        d: &DirectoryRecord,
    ) -> Result<DirectorySaved, StoreError> {
        let op = "storing the directory";
        check_size(
            "the directory document",
            d.document.len(),
            self.store.options().max_directory_bytes,
        )?;
        if let Some(sig) = &d.signature {
            check_size("the directory signature", sig.len(), 64 * 1024)?;
        }
        let serial = i64::try_from(d.serial)
            .map_err(|_| StoreError::invalid("directory serial", "it is larger than 2^63 - 1"))?;
        let sha = sha256_hex(&d.document);
        // Lock the row (no-op update) so concurrent savers on PostgreSQL are ordered.
        let current = sqlx::query(
            "UPDATE directory_state SET serial = serial WHERE id = 1 \
             RETURNING serial, document_sha256",
        )
        .fetch_optional(self.conn())
        .await
        .map_err(StoreError::db(op))?;
        let sql = match current {
            None => {
                "INSERT INTO directory_state (id, serial, document, document_sha256, signature, \
                 fetched_at_us) VALUES (1, $1, $2, $3, $4, $5)"
            }
            Some(row) => {
                let cur: i64 = get(&row, "directory_state", "serial", &1)?;
                let cur_sha: String = get(&row, "directory_state", "document_sha256", &1)?;
                let cur_u = u64::try_from(cur).unwrap_or(0);
                if cur == serial && cur_sha == sha {
                    return Ok(DirectorySaved::Unchanged);
                }
                if cur == serial {
                    return Err(StoreError::Conflict {
                        what: "directory serial",
                        key: d.serial.to_string(),
                        reason: "a different document with this serial is already stored"
                            .to_owned(),
                    });
                }
                if serial < cur {
                    return Err(StoreError::DirectoryRollback {
                        current: cur_u,
                        offered: d.serial,
                    });
                }
                "UPDATE directory_state SET serial = $1, document = $2, document_sha256 = $3, \
                 signature = $4, fetched_at_us = $5 WHERE id = 1"
            }
        };
        sqlx::query(sql)
            .bind(serial)
            .bind(d.document.as_slice())
            .bind(&sha)
            .bind(d.signature.clone())
            .bind(us(d.fetched_at))
            .execute(self.conn())
            .await
            .map_err(|e| {
                if crate::error::is_unique_violation(&e) {
                    StoreError::Conflict {
                        what: "directory serial",
                        key: d.serial.to_string(),
                        reason: "another process stored the first directory at the same moment: \
                                 try again"
                            .to_owned(),
                    }
                } else {
                    StoreError::Database { op, source: e }
                }
            })?;
        Ok(DirectorySaved::Stored)
    }
}

impl Store {
    /// [`Tx::save_directory`] in a unit of work of its own.
    pub async fn save_directory(&self, d: &DirectoryRecord) -> Result<DirectorySaved, StoreError> {
        self.timed("storing the directory", async {
            let mut tx = self.begin().await?;
            let saved = tx.save_directory(d).await?;
            tx.commit().await?;
            Ok(saved)
        })
        .await
    }

    /// The newest accepted directory, if any.
    pub async fn directory(&self) -> Result<Option<DirectoryRecord>, StoreError> {
        let op = "reading the directory";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let row = sqlx::query(
                "SELECT serial, document, document_sha256, signature, fetched_at_us \
                 FROM directory_state WHERE id = 1",
            )
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let Some(row) = row else { return Ok(None) };
            const T: &str = "directory_state";
            let serial: i64 = get(&row, T, "serial", &1)?;
            let document: Vec<u8> = get(&row, T, "document", &serial)?;
            let sha: String = get(&row, T, "document_sha256", &serial)?;
            if sha256_hex(&document) != sha {
                return Err(StoreError::corrupt(
                    T,
                    "document",
                    serial.to_string(),
                    "its SHA-256 does not match the one recorded when it was stored",
                ));
            }
            Ok(Some(DirectoryRecord {
                serial: u64::try_from(serial).unwrap_or(0),
                document,
                signature: get(&row, T, "signature", &serial)?,
                fetched_at: get_ts(&row, T, "fetched_at_us", &serial)?,
            }))
        })
        .await
    }
}
