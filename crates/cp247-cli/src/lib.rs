//! The library side of the `cp247` command: what the command's subcommands and its process
//! tests share. Only set-up code for networks on one machine lives here; each subcommand is a
//! module of the binary.

pub mod localnet;
