//! The certificate commands (`show|set|commit|abort|new|del ssl cert`,
//! `add|del|show ssl crt-list`): the core keeps the certificates and
//! answers them; this side applies HAProxy 2.6's levels and hands the
//! payload over.
//!
//! Levels, as the 2.6 binary applies them: `show ssl cert` needs the
//! operator level and refuses a user with `Can't allocate memory!` (sic);
//! every other one, `show ssl crt-list` included, needs admin.

use crate::api::{Source, TableAction};
use crate::cli::{CliSession, Level};
use crate::commands::DENIED;
use crate::help;

/// The answer to a certificate command (`args` starts with its three
/// keyword words). A payload goes to the core as two more words, `<<`
/// and its text, so the host interface stays a list of words.
pub fn command(cli: &CliSession, args: &[&str], payload: Option<&str>, src: &dyn Source) -> String {
    if args.starts_with(&["show", "ssl", "cert"]) {
        if cli.level < Level::Operator {
            return "Can't allocate memory!\n".into();
        }
    } else if cli.level < Level::Admin {
        return DENIED.into();
    }
    let mut words = args.to_vec();
    if let Some(p) = payload {
        words.extend(["<<", p]);
    }
    match src.tables(TableAction::Command, &words, cli.level, cli.socket_level) {
        Some(Ok(s)) | Some(Err(s)) => s,
        None => help::usage_message(args),
    }
}
