//! `ssl-min-ver`, `ssl-max-ver`, `no-*` and `force-*`: protocol versions
//! as HAProxy 2.6 combines them, mapped to what rustls implements.

use rustls::SupportedProtocolVersion;

/// A protocol version as HAProxy's `ssl-min-ver` / `ssl-max-ver` name it, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    Sslv3,
    Tlsv10,
    Tlsv11,
    Tlsv12,
    Tlsv13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::Sslv3,
        TlsVersion::Tlsv10,
        TlsVersion::Tlsv11,
        TlsVersion::Tlsv12,
        TlsVersion::Tlsv13,
    ];

    /// HAProxy's spelling, as `ssl-min-ver` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Sslv3 => "SSLv3",
            TlsVersion::Tlsv10 => "TLSv1.0",
            TlsVersion::Tlsv11 => "TLSv1.1",
            TlsVersion::Tlsv12 => "TLSv1.2",
            TlsVersion::Tlsv13 => "TLSv1.3",
        }
    }

    /// The suffix of the `no-*` and `force-*` options.
    pub(super) fn option_suffix(self) -> &'static str {
        match self {
            TlsVersion::Sslv3 => "sslv3",
            TlsVersion::Tlsv10 => "tlsv10",
            TlsVersion::Tlsv11 => "tlsv11",
            TlsVersion::Tlsv12 => "tlsv12",
            TlsVersion::Tlsv13 => "tlsv13",
        }
    }

    pub(super) fn bit(self) -> u8 {
        1 << self as u8
    }

    pub fn rustls(self) -> Option<&'static SupportedProtocolVersion> {
        match self {
            TlsVersion::Tlsv12 => Some(&rustls::version::TLS12),
            TlsVersion::Tlsv13 => Some(&rustls::version::TLS13),
            _ => None,
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ssl-min-ver` / `ssl-max-ver`'s argument; the error is HAProxy's, word for word.
pub fn parse_version(s: &str) -> Result<TlsVersion, String> {
    TlsVersion::ALL
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("'{s}' : unknown ssl/tls version"))
}

/// HAProxy's default `ssl-min-ver` on `bind` lines since 2.2. Server lines have none, which
/// changes only whether HAProxy itself would also run TLSv1.0/1.1, never what rustls gets.
pub(super) const DEFAULT_MIN: TlsVersion = TlsVersion::Tlsv12;

/// The protocol version keywords of one `bind` or `server` line (or of
/// `ssl-default-*-options`), applied in the order they appear.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VersionRange {
    pub min: Option<TlsVersion>,
    pub max: Option<TlsVersion>,
    /// `no-*` options, one bit per version.
    disabled: u8,
}

impl VersionRange {
    /// `ssl-min-ver`.
    pub fn ssl_min_ver(&mut self, v: TlsVersion) {
        self.min = Some(v);
    }

    /// `ssl-max-ver`.
    pub fn ssl_max_ver(&mut self, v: TlsVersion) {
        self.max = Some(v);
    }

    /// `no-sslv3`, `no-tlsv10`, ... `no-tlsv13`.
    pub fn no(&mut self, v: TlsVersion) {
        self.disabled |= v.bit();
    }

    /// `force-sslv3`, `force-tlsv10`, ... `force-tlsv13`: that version alone, which HAProxy
    /// records as both bounds (so a later `ssl-min-ver` or `force-*` overrides it).
    pub fn force(&mut self, v: TlsVersion) {
        self.min = Some(v);
        self.max = Some(v);
    }

    /// Applies a `no-*` / `force-*` keyword by name; false if `keyword` is not one.
    pub fn keyword(&mut self, keyword: &str) -> bool {
        let find = |suffix: &str| {
            TlsVersion::ALL
                .into_iter()
                .find(|v| v.option_suffix() == suffix)
        };
        if let Some(v) = keyword.strip_prefix("no-").and_then(find) {
            self.no(v);
        } else if let Some(v) = keyword.strip_prefix("force-").and_then(find) {
            self.force(v);
        } else {
            return false;
        }
        true
    }

    /// The versions turned off with `no-*`.
    pub fn disabled(&self) -> Vec<TlsVersion> {
        TlsVersion::ALL
            .into_iter()
            .filter(|v| self.disabled & v.bit() != 0)
            .collect()
    }

    /// This line's settings over `ssl-default-bind-options` / `ssl-default-server-options`:
    /// bounds set here win, `no-*` options add up (HAProxy merges them this way; a bound from
    /// either side makes every `no-*` ignored).
    pub fn with_defaults(&self, defaults: &VersionRange) -> VersionRange {
        VersionRange {
            min: self.min.or(defaults.min),
            max: self.max.or(defaults.max),
            disabled: self.disabled | defaults.disabled,
        }
    }

    /// Whether HAProxy ignores the `no-*` options: it does as soon as a bound is set.
    pub(super) fn no_ignored(&self) -> bool {
        self.disabled != 0 && (self.min.is_some() || self.max.is_some())
    }

    /// The versions HAProxy would enable, oldest first.
    pub fn enabled(&self) -> Vec<TlsVersion> {
        let max = self.max.unwrap_or(TlsVersion::Tlsv13);
        // An ssl-max-ver below the default minimum pulls the minimum down to it (HAProxy
        // warns that this is ambiguous).
        let min = self
            .min
            .unwrap_or(if max < DEFAULT_MIN { max } else { DEFAULT_MIN });
        let disabled = if self.no_ignored() { 0 } else { self.disabled };
        TlsVersion::ALL
            .into_iter()
            .filter(|v| (min..=max).contains(v) && disabled & v.bit() == 0)
            .collect()
    }

    /// The versions for rustls, newest first.
    pub fn versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
        let enabled = self.enabled();
        if enabled.is_empty() {
            return Err("all SSL/TLS versions are disabled".to_string());
        }
        let out: Vec<_> = enabled.iter().rev().filter_map(|v| v.rustls()).collect();
        if out.is_empty() {
            return Err(format!(
                "only {} would be enabled, and rustls implements only TLSv1.2 and TLSv1.3",
                names(&enabled)
            ));
        }
        Ok(out)
    }

    /// What the caller should warn about: ignored `no-*` options, and enabled versions that
    /// rustls cannot offer.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.no_ignored() {
            out.push(
                "no-sslv3/no-tlsv1x options are ignored because ssl-min-ver, ssl-max-ver or \
                 force-* is set"
                    .to_string(),
            );
        }
        let enabled = self.enabled();
        let (old, offered): (Vec<TlsVersion>, Vec<TlsVersion>) =
            enabled.into_iter().partition(|v| v.rustls().is_none());
        if !old.is_empty() && !offered.is_empty() {
            out.push(format!(
                "{} enabled but not implemented by rustls: only {} offered",
                names(&old),
                names(&offered)
            ));
        }
        out
    }
}

pub(super) fn names(versions: &[TlsVersion]) -> String {
    versions
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ssl-min-ver`, `ssl-max-ver` and the `no-*` options together: the versions for rustls.
/// See [`VersionRange`] for `force-*` and keyword order.
pub fn versions(
    min: Option<TlsVersion>,
    max: Option<TlsVersion>,
    no_flags: &[TlsVersion],
) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    let mut range = VersionRange {
        min,
        max,
        disabled: 0,
    };
    for v in no_flags {
        range.no(*v);
    }
    range.versions()
}
