//! Primitives shared by every cp247 crate.
//!
//! Each type here is parsed once at the boundary and is valid by construction: a [`PartyCode`] is
//! an assigned ISO 3166-1 alpha-2 code or one of the organisation codes, an [`Instant`] always
//! carries an explicit UTC offset, a [`TicketId`] always has the network's format. Time is read
//! only through a [`Clock`], so deadlines can be driven by tests.
#![warn(missing_docs)]

mod address;
mod clock;
mod ids;
mod instant;
mod party;
pub mod protocol;
mod urgency;

pub use address::{Address, ContactPointRole};
pub use clock::{Clock, ManualClock, SystemClock, TestClock};
pub use ids::{MessageId, MessageIdError, TicketId, TicketIdError};
pub use instant::{Instant, InstantError, ZoneName};
pub use party::{PartyCode, PartyCodeError};
pub use protocol::{AdvertisedLevel, Format, ProtocolLevel, ProtocolLevelError};
pub use urgency::{Channel, Urgency};
