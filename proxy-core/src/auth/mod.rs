//! HTTP authentication: `userlist` sections (users with their password
//! and groups) and the `Authorization` header as HAProxy 2.6 reads it.
//!
//! The configuration parser ([`crate::config`]) builds [`Userlist`]s; the
//! `http_auth*` fetches read the request's credentials with
//! [`credentials`] and check them with [`Userlist::check`].
//!
//! Passwords are either kept in clear (`insecure-password`) or as a
//! crypt(3) hash (`password`), checked as Debian's libxcrypt would: DES,
//! BSDi (`_`), `$1$` (MD5), `$5$` (SHA-256), `$6$` (SHA-512),
//! `$2a$/$2b$/$2y$` (bcrypt) and `$sha1$`; libxcrypt's yescrypt, scrypt
//! and NT formats are not known here and never match. A hash nothing
//! understands is accepted at parse time, as by HAProxy 2.6, and never
//! matches.

mod header;
#[cfg(test)]
mod tests;

pub use header::{credentials, Credentials, Scheme};

/// A `userlist` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Userlist {
    pub name: String,
    pub users: Vec<User>,
    /// `group <name>` lines, in order.
    pub groups: Vec<String>,
}

/// A `user` line, its groups resolved (`user ... groups` and `group ...
/// users` both add to them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub secret: Secret,
    /// Names of the groups the user is in.
    pub groups: Vec<String>,
}

/// How a user's password is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// No `password` / `insecure-password`: no password matches.
    None,
    /// `insecure-password <pw>`.
    Clear(String),
    /// `password <hash>`: a crypt(3) hash.
    Crypt(String),
}

impl Secret {
    /// Whether `pass` is this secret.
    pub fn matches(&self, pass: &[u8]) -> bool {
        match self {
            Secret::None => false,
            Secret::Clear(pw) => pw.as_bytes() == pass,
            Secret::Crypt(hash) => crypt_matches(pass, hash),
        }
    }
}

/// crypt(3)'s verdict on `pass` for `hash` (pwhash knows the formats by
/// their prefix and refuses what it cannot read; yescrypt is apart).
fn crypt_matches(pass: &[u8], hash: &str) -> bool {
    use yescrypt::password_hash::PasswordVerifier;
    // crypt(3) stops at a NUL.
    let pass = pass.split(|&b| b == 0).next().unwrap_or_default();
    if hash.starts_with("$y$") {
        return yescrypt::Yescrypt::default()
            .verify_password(pass, hash)
            .is_ok();
    }
    pwhash::unix::verify(pass, hash)
}

impl Userlist {
    pub fn user(&self, name: &[u8]) -> Option<&User> {
        self.users.iter().find(|u| u.name.as_bytes() == name)
    }

    /// Whether `user` is in the list with password `pass`.
    pub fn check(&self, user: &[u8], pass: &[u8]) -> bool {
        self.user(user).is_some_and(|u| u.secret.matches(pass))
    }

    pub fn has_group(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g == name)
    }
}
