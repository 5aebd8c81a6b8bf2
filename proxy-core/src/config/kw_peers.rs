//! `peers <name>` sections (HAProxy 2.6 `cfg_parse_peers`): `peer <name>
//! <addr:port>`, or the `bind` + `server` form, `table <name> type ...`,
//! `disabled` / `enabled`; `log`, `default-bind` and `default-server` are
//! accepted and ignored. The core stores what the lines say for the peers
//! applet; it opens no connection itself. Tables declared here are named
//! `<section>/<name>` and replicated by the section.

use super::addr::{parse_bind_addrs, parse_socket_addr};
use super::keywords::invalid_char;
use super::kw_stick::next_seq;
use super::model::{BindConfig, Location};
use super::model_stick::{PeerLine, PeersConfig, TableDecl};
use crate::stick::TableConfig;

/// A new section from its header line; errors are complete messages
/// (some are printed without the usual `parsing [...] : ` prefix, as in
/// HAProxy: the caller is told with `bare`).
pub(super) fn start(
    args: &[String],
    loc: &Location,
    existing: &[PeersConfig],
) -> Result<PeersConfig, (String, bool)> {
    let name = args
        .get(1)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ("missing name for peers section.".to_string(), false))?;
    if let Some(extra) = args.get(2) {
        return Err((
            format!("'peers' cannot handle unexpected argument '{extra}'."),
            false,
        ));
    }
    if let Some(c) = invalid_char(name) {
        return Err((
            format!("character '{c}' is not permitted in 'peers' name '{name}'."),
            false,
        ));
    }
    if let Some(other) = existing.iter().find(|p| p.name == *name) {
        return Err((
            format!(
                "Parsing [{loc}]: peers section '{name}' has the same name as another peers section declared at {}.",
                other.loc
            ),
            true,
        ));
    }
    Ok(PeersConfig {
        name: name.clone(),
        loc: loc.clone(),
        peers: Vec::new(),
        bind: None,
        tables: Vec::new(),
        disabled: false,
    })
}

/// One line inside a peers section.
pub(super) fn line(p: &mut PeersConfig, args: &[String], loc: &Location) -> Result<(), String> {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let kw = arg(0);
    match kw {
        "peer" | "server" => {
            let server_form = kw == "server";
            if !server_form && p.bind.is_some() {
                return Err("mixing \"peer\" and \"bind\" line is forbidden".into());
            }
            let name = arg(1);
            if name.is_empty() || (!server_form && arg(2).is_empty()) {
                return Err(format!(
                    "'{kw}' expects <name> and <addr>[:<port>] as arguments."
                ));
            }
            if let Some(c) = invalid_char(name) {
                return Err(format!(
                    "character '{c}' is not permitted in '{kw}' name '{name}'."
                ));
            }
            let addr = match arg(2) {
                "" => None,
                a => Some(parse_socket_addr(a).map_err(|e| format!("'{kw} {name}' : {e}"))?),
            };
            p.peers.push(PeerLine {
                name: name.to_string(),
                addr,
                server_form,
                loc: loc.clone(),
            });
            Ok(())
        }
        "bind" => {
            if p.peers.iter().any(|l| !l.server_form) {
                return Err("mixing \"peer\" and \"bind\" line is forbidden".into());
            }
            if let Some(b) = &p.bind {
                return Err(format!(
                    "One listener per \"peers\" section is authorized but another is already configured at [{}].",
                    b.loc
                ));
            }
            let spec = arg(1);
            let addrs = parse_bind_addrs(spec).map_err(|e| format!("'bind {spec}' : {e}"))?;
            p.bind = Some(BindConfig {
                addrs,
                name: None,
                loc: loc.clone(),
                ssl: None,
                tls: None,
                accept_proxy: false,
            });
            Ok(())
        }
        "table" => {
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            let (conf, _warnings) = TableConfig::parse_peers(&p.name, &words)?;
            p.tables.push(TableDecl {
                conf,
                loc: loc.clone(),
                seq: next_seq(),
            });
            Ok(())
        }
        "disabled" => {
            p.disabled = true;
            Ok(())
        }
        "enabled" => {
            p.disabled = false;
            Ok(())
        }
        "log" | "default-bind" | "default-server" => Ok(()),
        _ => Err(format!("unknown keyword '{kw}' in 'peers' section")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};

    #[test]
    fn sections() {
        let c = ok("peers mypeers\n peer hapA 127.0.0.1:39401\n peer hapB 127.0.0.1:39402\n table src_track type ip size 10k expire 1h store http_req_cnt,gpc0\npeers other\n bind 127.0.0.1:1000\n server me\n server them 127.0.0.1:1001\n disabled\n log stdout local0\n");
        assert_eq!(c.peers.len(), 2);
        let p = &c.peers[0];
        assert_eq!(p.name, "mypeers");
        assert_eq!(p.peers[1].addr, Some("127.0.0.1:39402".parse().unwrap()));
        assert_eq!(p.tables[0].conf.name, "mypeers/src_track");
        assert_eq!(c.tables.len(), 1);
        assert_eq!(c.tables[0].conf.name, "mypeers/src_track");
        let o = &c.peers[1];
        assert!(o.disabled && o.bind.is_some());
        assert_eq!(o.peers[0].addr, None);
        assert_eq!(o.local("me").map(|l| l.name.as_str()), Some("me"));
    }

    #[test]
    fn errors_in_peers_sections() {
        assert_eq!(
            error("peers\n"),
            "parsing [t.cfg:1] : missing name for peers section."
        );
        assert_eq!(
            error("peers p\n frob\n"),
            "parsing [t.cfg:2] : unknown keyword 'frob' in 'peers' section"
        );
        assert_eq!(
            error("peers p\npeers p\n"),
            "Parsing [t.cfg:2]: peers section 'p' has the same name as another peers section declared at t.cfg:1."
        );
        assert_eq!(
            error("peers p\n peer a 127.0.0.1:1\n bind :2\n"),
            "parsing [t.cfg:3] : mixing \"peer\" and \"bind\" line is forbidden"
        );
        assert_eq!(
            error("peers p\n peer a\n"),
            "parsing [t.cfg:2] : 'peer' expects <name> and <addr>[:<port>] as arguments."
        );
        assert_eq!(
            error("peers p\n table t type ip\n"),
            "parsing [t.cfg:2] : table: missing size."
        );
        assert_eq!(errors("peers p\n x\n y\n").len(), 2);
    }
}
