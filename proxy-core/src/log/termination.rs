//! The termination state printed in logs (`%ts`, 2 chars; `%tsc`, 4 chars).
//!
//! The first character says *why* a stream ended ([`ErrCause`]), the second
//! *in which phase* ([`FinState`]). HTTP logs add two cookie characters
//! ([`CookieState`], [`SetCookieState`]). Keeping them as enums instead of
//! flag bits lets the stream code match on them and lets the log code stay a
//! pure lookup.

/// Why the stream ended (first character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ErrCause {
    /// `-`: normal end.
    #[default]
    None,
    /// `L`: answered locally (stats, redirect, return); not an error.
    Local,
    /// `c`: client-side timeout.
    CliTo,
    /// `C`: client closed or aborted, or an I/O error on the client side.
    CliCl,
    /// `s`: server-side timeout, including the connect timeout.
    SrvTo,
    /// `S`: server closed, refused, or an I/O error on the server side.
    SrvCl,
    /// `P`: the proxy chose to close (deny, limits, invalid message).
    PrxCond,
    /// `R`: a local resource ran out (memory, descriptors, source ports).
    Resource,
    /// `I`: internal error, a bug.
    Internal,
    /// `D`: killed because its server was marked down.
    Down,
    /// `K`: killed by an administrator.
    Killed,
    /// `U`: killed on a backup server because an active one came back.
    Up,
}

impl ErrCause {
    pub const fn as_char(self) -> u8 {
        match self {
            ErrCause::None => b'-',
            ErrCause::Local => b'L',
            ErrCause::CliTo => b'c',
            ErrCause::CliCl => b'C',
            ErrCause::SrvTo => b's',
            ErrCause::SrvCl => b'S',
            ErrCause::PrxCond => b'P',
            ErrCause::Resource => b'R',
            ErrCause::Internal => b'I',
            ErrCause::Down => b'D',
            ErrCause::Killed => b'K',
            ErrCause::Up => b'U',
        }
    }
}

/// The phase the stream was in when it ended (second character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FinState {
    /// `-`: completed normally.
    #[default]
    None,
    /// `R`: still waiting for a complete, valid request.
    R,
    /// `C`: waiting for the server connection.
    C,
    /// `H`: waiting for the server's response headers.
    H,
    /// `D`: data phase.
    D,
    /// `L`: sending the last data to the client after the server finished.
    L,
    /// `Q`: waiting in a queue for a server slot.
    Q,
    /// `T`: tarpitted.
    T,
}

impl FinState {
    pub const fn as_char(self) -> u8 {
        match self {
            FinState::None => b'-',
            FinState::R => b'R',
            FinState::C => b'C',
            FinState::H => b'H',
            FinState::D => b'D',
            FinState::L => b'L',
            FinState::Q => b'Q',
            FinState::T => b'T',
        }
    }
}

/// What the request's persistence cookie said (third `%tsc` character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CookieState {
    /// `N`: no cookie.
    #[default]
    None,
    /// `I`: invalid cookie.
    Invalid,
    /// `D`: cookie for a server that is down.
    Down,
    /// `V`: valid cookie, used.
    Valid,
    /// `E`: expired (idle too long).
    Expired,
    /// `O`: too old (max life reached).
    Old,
    /// `U`: present but unused (another mechanism chose the server).
    Unused,
}

impl CookieState {
    pub const fn as_char(self) -> u8 {
        match self {
            CookieState::None => b'N',
            CookieState::Invalid => b'I',
            CookieState::Down => b'D',
            CookieState::Valid => b'V',
            CookieState::Expired => b'E',
            CookieState::Old => b'O',
            CookieState::Unused => b'U',
        }
    }
}

/// What was done with the response's `Set-Cookie` (fourth `%tsc` character).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SetCookieState {
    /// `N`: none.
    #[default]
    None,
    /// `P`: the server's cookie passed through unchanged.
    Passive,
    /// `D`: deleted.
    Deleted,
    /// `I`: inserted by the proxy.
    Inserted,
    /// `R`: rewritten.
    Rewritten,
    /// `U`: updated (idle date refreshed).
    Updated,
}

impl SetCookieState {
    pub const fn as_char(self) -> u8 {
        match self {
            SetCookieState::None => b'N',
            SetCookieState::Passive => b'P',
            SetCookieState::Deleted => b'D',
            SetCookieState::Inserted => b'I',
            SetCookieState::Rewritten => b'R',
            SetCookieState::Updated => b'U',
        }
    }
}

/// `%ts`: the two characters for a cause and a final state.
pub const fn term_code(cause: ErrCause, finst: FinState) -> [u8; 2] {
    [cause.as_char(), finst.as_char()]
}

/// `%tsc`: the four characters. `cookie` is `None` when the backend has no
/// persistence cookie configured, which prints `--`.
pub const fn term_code_http(
    cause: ErrCause,
    finst: FinState,
    cookie: Option<(CookieState, SetCookieState)>,
) -> [u8; 4] {
    let (c3, c4) = match cookie {
        Some((req, res)) => (req.as_char(), res.as_char()),
        None => (b'-', b'-'),
    };
    [cause.as_char(), finst.as_char(), c3, c4]
}

/// A stream's termination state while it runs.
///
/// Whoever detects the end first decides each half; later, more generic
/// reporters (a close noticed after a timeout, say) must not overwrite it,
/// hence the `*_once` setters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TermState {
    pub cause: ErrCause,
    pub finst: FinState,
}

impl TermState {
    /// Records `cause` unless one is already recorded.
    pub fn set_cause_once(&mut self, cause: ErrCause) {
        if self.cause == ErrCause::None {
            self.cause = cause;
        }
    }

    /// Records `finst` unless one is already recorded.
    pub fn set_finst_once(&mut self, finst: FinState) {
        if self.finst == FinState::None {
            self.finst = finst;
        }
    }

    pub const fn code(&self) -> [u8; 2] {
        term_code(self.cause, self.finst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_chars() {
        let all = [
            ErrCause::None,
            ErrCause::Local,
            ErrCause::CliTo,
            ErrCause::CliCl,
            ErrCause::SrvTo,
            ErrCause::SrvCl,
            ErrCause::PrxCond,
            ErrCause::Resource,
            ErrCause::Internal,
            ErrCause::Down,
            ErrCause::Killed,
            ErrCause::Up,
        ];
        let chars: Vec<u8> = all.iter().map(|c| c.as_char()).collect();
        assert_eq!(chars, b"-LcCsSPRIDKU");
    }

    #[test]
    fn finst_chars() {
        let all = [
            FinState::None,
            FinState::R,
            FinState::C,
            FinState::H,
            FinState::D,
            FinState::L,
            FinState::Q,
            FinState::T,
        ];
        let chars: Vec<u8> = all.iter().map(|f| f.as_char()).collect();
        assert_eq!(chars, b"-RCHDLQT");
    }

    #[test]
    fn cookie_chars() {
        let req = [
            CookieState::None,
            CookieState::Invalid,
            CookieState::Down,
            CookieState::Valid,
            CookieState::Expired,
            CookieState::Old,
            CookieState::Unused,
        ];
        let chars: Vec<u8> = req.iter().map(|c| c.as_char()).collect();
        assert_eq!(chars, b"NIDVEOU");
        let res = [
            SetCookieState::None,
            SetCookieState::Passive,
            SetCookieState::Deleted,
            SetCookieState::Inserted,
            SetCookieState::Rewritten,
            SetCookieState::Updated,
        ];
        let chars: Vec<u8> = res.iter().map(|c| c.as_char()).collect();
        assert_eq!(chars, b"NPDIRU");
    }

    #[test]
    fn documented_combinations() {
        assert_eq!(&term_code(ErrCause::None, FinState::None), b"--");
        assert_eq!(&term_code(ErrCause::PrxCond, FinState::R), b"PR");
        assert_eq!(&term_code(ErrCause::SrvCl, FinState::C), b"SC");
        assert_eq!(&term_code(ErrCause::SrvTo, FinState::H), b"sH");
        assert_eq!(&term_code(ErrCause::Local, FinState::R), b"LR");
        assert_eq!(&term_code(ErrCause::Resource, FinState::C), b"RC");
        assert_eq!(&term_code_http(ErrCause::CliCl, FinState::R, None), b"CR--");
        assert_eq!(
            &term_code_http(
                ErrCause::None,
                FinState::None,
                Some((CookieState::Valid, SetCookieState::Inserted))
            ),
            b"--VI"
        );
    }

    #[test]
    fn first_writer_wins() {
        let mut t = TermState::default();
        t.set_cause_once(ErrCause::SrvTo);
        t.set_cause_once(ErrCause::CliCl);
        t.set_finst_once(FinState::H);
        t.set_finst_once(FinState::D);
        assert_eq!(&t.code(), b"sH");
    }
}
