//! The TLS step of the configuration checks: each `ssl` bind's
//! certificates loaded and its handshake configurations built, what fails
//! reported as 2.6 reports it (at the bind line, or after parsing as
//! `Proxy '<px>': ... for bind '<addr>' at [<file>:<line>].`).

use super::model::{Global, Mode, ProxyConfig};
use super::parser::ConfigError;

/// Loads the certificates of each TLS bind of `px` and builds its
/// handshake configuration; what fails is an error at the bind line.
pub(super) fn build_bind_tls(
    px: &mut ProxyConfig,
    global: &Global,
    store: &crate::tls::store::CertStore,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<String>,
) {
    use crate::tls::bind::{BindError, BindTls, TlsHandle};
    use std::sync::Arc;
    for b in &mut px.binds {
        let Some(ssl) = b.ssl.as_deref() else {
            continue;
        };
        // The address as the bind line wrote it, for 2.6's post-parse
        // messages (`for bind '<addr>'`).
        let spec = ssl
            .who
            .split('\'')
            .nth(1)
            .and_then(|w| w.strip_prefix("bind "))
            .unwrap_or("");
        let for_bind = |msg: &str| ConfigError {
            loc: None,
            msg: format!(
                "Proxy '{}': {msg} for bind '{spec}' at [{}]",
                px.name, b.loc
            ),
        };
        if ssl.enabled && ssl.sources.is_empty() {
            let mut e = for_bind("no SSL certificate specified");
            e.msg.push_str(" (use 'crt').");
            errors.push(e);
            continue;
        }
        let built = store
            .load_bind(ssl, &global.ssl)
            .map_err(BindError::from)
            .and_then(|(slots, certs)| {
                let mut w = Vec::new();
                let http = px.mode == Mode::Http;
                let r = BindTls::build(ssl, &global.ssl, certs, http, &mut w);
                for m in w {
                    warnings.push(format!("config : parsing [{}] : {} : {m}", b.loc, ssl.who));
                }
                r.map(|t| (slots, t))
            });
        match built {
            Ok((slots, t)) if ssl.enabled => {
                let t = Arc::new(t);
                store.register_bind(t.clone(), slots, &px.name, b.loc.to_string());
                b.tls = Some(TlsHandle(t));
            }
            Ok(_) => {}
            Err(BindError::AtLine { before, msg }) => {
                errors.extend(before.into_iter().map(|msg| ConfigError { loc: None, msg }));
                errors.push(ConfigError {
                    loc: Some(b.loc.clone()),
                    msg: format!("{} : {msg}", ssl.who),
                });
            }
            Err(BindError::ForBind { msg, why }) => {
                let mut e = for_bind(&msg);
                if let Some(why) = why {
                    e.msg.push_str(&format!(" ({why})"));
                }
                e.msg.push('.');
                errors.push(e);
            }
        }
    }
}
