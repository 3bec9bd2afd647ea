//! One module per subcommand.

pub mod bench;
pub mod deblur;
pub mod info;
pub mod metrics;
pub mod parity;
pub mod prepare;
pub mod test;
pub mod train;
