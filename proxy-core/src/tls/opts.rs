//! The TLS settings of a `bind` line, of a crt-list entry and of the
//! `ssl-default-bind-*` globals, as parsed words: HAProxy 2.6's keywords
//! and its error texts. Turning them into rustls configurations is
//! [`super::bind`]'s job.

use super::ciphers::{parse_version, VersionRange};

/// `verify` on a bind line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    None,
    Optional,
    Required,
}

/// TLS settings of one bind line or crt-list entry. `None`/`false` means
/// "not said here": the global defaults apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SslConf {
    pub versions: VersionRange,
    pub alpn: Option<Vec<Vec<u8>>>,
    pub ciphers: Option<String>,
    pub ciphersuites: Option<String>,
    pub curves: Option<String>,
    /// `ecdhe <curve>`: the one group used when no `curves` applies, the
    /// bind's nor `ssl-default-bind-curves` (2.6 lets either win over it).
    pub ecdhe: Option<String>,
    pub no_tls_tickets: bool,
    pub prefer_client_ciphers: bool,
    pub verify: Option<Verify>,
    pub ca_file: Option<String>,
    pub crl_file: Option<String>,
    pub ca_ignore_err: Option<String>,
    pub crt_ignore_err: Option<String>,
}

impl SslConf {
    /// This line's settings over `base`'s.
    pub fn over(&self, base: &SslConf) -> SslConf {
        SslConf {
            versions: self.versions.with_defaults(&base.versions),
            alpn: self.alpn.clone().or_else(|| base.alpn.clone()),
            ciphers: self.ciphers.clone().or_else(|| base.ciphers.clone()),
            ciphersuites: self
                .ciphersuites
                .clone()
                .or_else(|| base.ciphersuites.clone()),
            curves: self.curves.clone().or_else(|| base.curves.clone()),
            ecdhe: self.ecdhe.clone().or_else(|| base.ecdhe.clone()),
            no_tls_tickets: self.no_tls_tickets || base.no_tls_tickets,
            prefer_client_ciphers: self.prefer_client_ciphers || base.prefer_client_ciphers,
            verify: self.verify.or(base.verify),
            ca_file: self.ca_file.clone().or_else(|| base.ca_file.clone()),
            crl_file: self.crl_file.clone().or_else(|| base.crl_file.clone()),
            ca_ignore_err: self
                .ca_ignore_err
                .clone()
                .or_else(|| base.ca_ignore_err.clone()),
            crt_ignore_err: self
                .crt_ignore_err
                .clone()
                .or_else(|| base.crt_ignore_err.clone()),
        }
    }
}

/// The TLS part of `global`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalSsl {
    pub crt_base: Option<String>,
    pub ca_base: Option<String>,
    /// `ssl-default-bind-options`, `-ciphers`, `-ciphersuites`, `-curves`.
    pub bind: SslConf,
    /// `ssl-default-server-options`, `-ciphers`, `-ciphersuites`.
    pub server: SslConf,
    /// `ssl-server-verify none|required` (default required).
    pub server_verify_none: bool,
    /// `tune.ssl.cachesize <entries>`: sessions kept per bind for
    /// resumption by ID (0 = none); HAProxy's default is 20000.
    pub cachesize: Option<usize>,
}

/// What [`parse_kw`] did with a keyword.
pub enum Parsed {
    /// Not a TLS keyword.
    NotOurs,
    /// Taken, with this many arguments after it.
    Took(usize),
}

fn need<'a>(args: &[&'a str], kw: &str, what: &str) -> Result<&'a str, String> {
    args.first()
        .copied()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("'{kw}' : {what}"))
}

/// Parses the ALPN list `h2,http/1.1` into protocol names.
pub fn parse_alpn(list: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for p in list.split(',') {
        if p.is_empty() || p.len() > 255 {
            return Err(format!(
                "'alpn' : empty or too long protocol name in '{list}'"
            ));
        }
        out.push(p.as_bytes().to_vec());
    }
    Ok(out)
}

/// Parses one TLS keyword of a bind line, a crt-list entry or
/// `ssl-default-bind-options` into `conf`; `args` are the words after it.
/// `ca_base` is joined to `ca-file`/`crl-file` paths.
pub fn parse_kw(
    kw: &str,
    args: &[&str],
    conf: &mut SslConf,
    ca_base: Option<&str>,
) -> Result<Parsed, String> {
    let v = &mut conf.versions;
    let took = match kw {
        "ssl-min-ver" | "ssl-max-ver" => {
            let word = need(args, kw, "missing the ssl/tls version")?;
            let ver = parse_version(word)?;
            if kw == "ssl-min-ver" {
                v.ssl_min_ver(ver);
            } else {
                v.ssl_max_ver(ver);
            }
            1
        }
        k if v.keyword(k) => 0,
        "alpn" => {
            let list = need(args, kw, "missing the comma-delimited ALPN protocol suite")?;
            conf.alpn = Some(parse_alpn(list)?);
            1
        }
        "npn" => {
            need(args, kw, "missing the comma-delimited NPN protocol suite")?;
            1
        }
        "ciphers" => {
            conf.ciphers = Some(need(args, kw, "missing cipher suite")?.to_string());
            1
        }
        "ciphersuites" => {
            conf.ciphersuites = Some(need(args, kw, "missing cipher suite")?.to_string());
            1
        }
        "curves" => {
            conf.curves = Some(need(args, kw, "missing curve suite")?.to_string());
            1
        }
        "ecdhe" => {
            conf.ecdhe = Some(need(args, kw, "missing curve suite")?.to_string());
            1
        }
        "no-tls-tickets" => {
            conf.no_tls_tickets = true;
            0
        }
        "prefer-client-ciphers" => {
            conf.prefer_client_ciphers = true;
            0
        }
        "verify" => {
            let m = need(args, kw, "missing verify method")?;
            conf.verify = Some(match m {
                "none" => Verify::None,
                "optional" => Verify::Optional,
                "required" => Verify::Required,
                o => {
                    return Err(format!(
                        "'verify' : unknown verify method '{o}', only 'none', 'optional', and 'required' are supported"
                    ))
                }
            });
            1
        }
        "ca-file" | "ca-verify-file" => {
            let f = need(args, kw, "missing CAfile path")?;
            conf.ca_file = Some(super::certs::join_base(ca_base, f));
            1
        }
        "crl-file" => {
            let f = need(args, kw, "missing CRLfile path")?;
            conf.crl_file = Some(super::certs::join_base(ca_base, f));
            1
        }
        "ca-ignore-err" | "crt-ignore-err" => {
            let l = need(args, kw, "missing error IDs list")?.to_string();
            if kw == "ca-ignore-err" {
                conf.ca_ignore_err = Some(l);
            } else {
                conf.crt_ignore_err = Some(l);
            }
            1
        }
        // Accepted as HAProxy does; they change nothing here (no 0-RTT,
        // no CA name list trimming).
        "allow-0rtt" | "no-ca-names" => 0,
        _ => return Ok(Parsed::NotOurs),
    };
    Ok(Parsed::Took(took))
}

/// `ssl-default-bind-options` / `ssl-default-server-options`: the words
/// are the bind keywords above that take at most a version.
pub fn parse_default_options(stmt: &str, words: &[&str], conf: &mut SslConf) -> Result<(), String> {
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let allowed = w.starts_with("no-")
            || w.starts_with("force-")
            || matches!(w, "ssl-min-ver" | "ssl-max-ver" | "prefer-client-ciphers");
        if !allowed {
            return Err(format!(
                "unknown option '{w}' on global statement '{stmt}'."
            ));
        }
        match parse_kw(w, &words[i + 1..], conf, None) {
            Ok(Parsed::Took(n)) => i += 1 + n,
            Ok(Parsed::NotOurs) => {
                return Err(format!(
                    "unknown option '{w}' on global statement '{stmt}'."
                ))
            }
            Err(e) => return Err(format!("{e} on global statement '{stmt}'.")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_keywords_reach_the_range() {
        let mut c = SslConf::default();
        parse_kw("ssl-max-ver", &["TLSv1.2"], &mut c, None).ok();
        assert_eq!(c.versions.versions().map(|v| v.len()), Ok(1));
        let mut c = SslConf::default();
        parse_kw("no-tlsv13", &[], &mut c, None).ok();
        assert_eq!(c.versions.versions().map(|v| v.len()), Ok(1));
    }

    #[test]
    fn errors_as_haproxy_words_them() {
        let mut c = SslConf::default();
        let e = parse_kw("ssl-min-ver", &["TLSv9"], &mut c, None).err();
        assert_eq!(e.as_deref(), Some("'TLSv9' : unknown ssl/tls version"));
        let e = parse_kw("verify", &["bogus"], &mut c, None).err();
        assert_eq!(
            e.as_deref(),
            Some("'verify' : unknown verify method 'bogus', only 'none', 'optional', and 'required' are supported")
        );
        let e = parse_kw("alpn", &[], &mut c, None).err();
        assert_eq!(
            e.as_deref(),
            Some("'alpn' : missing the comma-delimited ALPN protocol suite")
        );
        let e = parse_default_options("ssl-default-bind-options", &["foo"], &mut c).err();
        assert_eq!(
            e.as_deref(),
            Some("unknown option 'foo' on global statement 'ssl-default-bind-options'.")
        );
        let e = parse_default_options("ssl-default-bind-options", &["ssl-min-ver"], &mut c).err();
        assert_eq!(
            e.as_deref(),
            Some("'ssl-min-ver' : missing the ssl/tls version on global statement 'ssl-default-bind-options'.")
        );
    }

    #[test]
    fn line_settings_override_defaults() {
        let mut g = SslConf::default();
        parse_default_options(
            "ssl-default-bind-options",
            &["ssl-min-ver", "TLSv1.3", "no-tls-tickets"],
            &mut g,
        )
        .ok();
        let eff = SslConf::default().over(&g);
        assert_eq!(eff.versions.versions().map(|v| v.len()), Ok(1));
        assert!(eff.no_tls_tickets);
        let mut b = SslConf::default();
        parse_kw("ssl-min-ver", &["TLSv1.2"], &mut b, None).ok();
        assert_eq!(b.over(&g).versions.versions().map(|v| v.len()), Ok(2));
    }
}
