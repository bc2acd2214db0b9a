//! The signed network directory of cp247.
#![warn(missing_docs)]

pub mod canonical;
pub mod contact;
pub mod hours;
pub mod status;
pub mod text;
