//! One module per subcommand.

pub mod bench;
pub mod info;
pub mod metrics;
pub mod parity;
pub mod prepare;
