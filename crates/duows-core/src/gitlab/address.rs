//! The addresses the GitLab configuration is made of, validated once: the GitLab instance
//! (`url`), the address GitLab reaches this machine's gateway at (`endpoint_address`), and
//! GitLab's AI gateway (`ai_gateway_url`). Each error names its input.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::GitlabError;

/// The gateway's port when an address names none (`duows serve --gateway-port` default).
pub const DEFAULT_GATEWAY_PORT: u16 = 8000;

/// GitLab limits a self-hosted model's endpoint to this many characters.
pub const MAX_ENDPOINT_LEN: usize = 255;

/// A GitLab instance's base URL, e.g. `https://gitlab.example.com` (no trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitlabUrl(String);

impl GitlabUrl {
    /// Reads `text`: an http(s) URL (`https://` is assumed when no scheme is given), without
    /// a user, password, query or fragment; a pasted `/api/graphql` is dropped.
    pub fn parse(text: &str) -> Result<Self, GitlabError> {
        let field = "url";
        let text = text.trim();
        if text.is_empty() {
            return Err(GitlabError::invalid(
                field,
                "give GitLab's address, e.g. https://gitlab.example.com",
            ));
        }
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("https://{text}")
        };
        let (scheme, rest) = split_scheme(&with_scheme, field)?;
        let rest = rest.trim_end_matches('/');
        let rest = rest.strip_suffix("/api/graphql").unwrap_or(rest);
        check_plain(rest, field)?;
        let (authority, _path) = rest.split_once('/').unwrap_or((rest, ""));
        host_and_port(authority, field)?;
        Ok(Self(format!("{scheme}://{rest}")))
    }

    /// The URL as given, normalised.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where GitLab's GraphQL API answers.
    pub fn graphql(&self) -> String {
        format!("{}/api/graphql", self.0)
    }
}

impl std::fmt::Display for GitlabUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The address GitLab (and its AI gateway) reach this machine's gateway at: `HOST[:PORT]`
/// (http, port 8000 by default) or an http(s) URL (a proxy in front; its port as written).
/// Never this machine's loopback name: GitLab would call itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayAddress {
    /// `http://gpu-box.example.com:8000`, without `/v1`.
    base: String,
}

impl GatewayAddress {
    /// Reads `text`; the error names the field `endpoint_address`.
    pub fn parse(text: &str) -> Result<Self, GitlabError> {
        let field = "endpoint_address";
        let text = text.trim();
        if text.is_empty() {
            return Err(GitlabError::invalid(
                field,
                "give the address GitLab reaches this machine at, e.g. gpu-box.example.com:8000",
            ));
        }
        let explicit_scheme = text.contains("://");
        let with_scheme = if explicit_scheme {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let (scheme, rest) = split_scheme(&with_scheme, field)?;
        let rest = rest.trim_end_matches('/');
        let rest = rest.strip_suffix("/v1").unwrap_or(rest);
        check_plain(rest, field)?;
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, format!("/{path}")),
            None => (rest, String::new()),
        };
        let (host, port) = host_and_port(authority, field)?;
        refuse_loopback(host, field)?;
        let authority = match (port, explicit_scheme) {
            (None, false) => format!("{authority}:{DEFAULT_GATEWAY_PORT}"),
            _ => authority.to_owned(),
        };
        let address = Self {
            base: format!("{scheme}://{authority}{path}"),
        };
        if address.endpoint().len() > MAX_ENDPOINT_LEN {
            return Err(GitlabError::invalid(
                field,
                format!("the endpoint would be longer than GitLab's limit of {MAX_ENDPOINT_LEN} characters"),
            ));
        }
        Ok(address)
    }

    /// The endpoint GitLab is given for every model: the address and `/v1`.
    pub fn endpoint(&self) -> String {
        format!("{}/v1", self.base)
    }
}

/// Reads the AI gateway URL GitLab is given (`http(s)://host[:port]`); the error names
/// `ai_gateway_url`.
pub fn parse_ai_gateway_url(text: &str) -> Result<String, GitlabError> {
    let field = "ai_gateway_url";
    let text = text.trim().trim_end_matches('/');
    if !text.contains("://") {
        return Err(GitlabError::invalid(
            field,
            format!("`{text}` must be an http(s) URL, e.g. http://aigw.example.com:5052"),
        ));
    }
    let (_, rest) = split_scheme(text, field)?;
    check_plain(rest, field)?;
    let (authority, _) = rest.split_once('/').unwrap_or((rest, ""));
    host_and_port(authority, field)?;
    Ok(text.to_owned())
}

fn split_scheme<'a>(text: &'a str, field: &'static str) -> Result<(&'a str, &'a str), GitlabError> {
    match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => Ok(("http", rest)),
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => Ok(("https", rest)),
        _ => Err(GitlabError::invalid(
            field,
            format!("`{text}` must use http:// or https://"),
        )),
    }
}

/// Refuses a user, password, query, fragment or spaces (they would be stored and shown in
/// clear), and an address without a host.
fn check_plain(rest: &str, field: &'static str) -> Result<(), GitlabError> {
    if rest.contains(['@', '?', '#']) || rest.contains(char::is_whitespace) {
        return Err(GitlabError::invalid(
            field,
            "must not hold a user, password, query, fragment or spaces",
        ));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(GitlabError::invalid(field, "has no host name"));
    }
    Ok(())
}

/// Splits `host[:port]` or `[v6][:port]`.
fn host_and_port<'a>(
    authority: &'a str,
    field: &'static str,
) -> Result<(&'a str, Option<u16>), GitlabError> {
    let bad_port = || GitlabError::invalid(field, format!("`{authority}` has an invalid port"));
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| GitlabError::invalid(field, "an IPv6 address lacks its `]`"))?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(port.parse().map_err(|_| bad_port())?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(bad_port()),
        };
    }
    match authority.split_once(':') {
        Some((_, rest)) if rest.contains(':') => Err(GitlabError::invalid(
            field,
            "write an IPv6 address in brackets, e.g. [2001:db8::5]:8000",
        )),
        Some((host, port)) => Ok((host, Some(port.parse().map_err(|_| bad_port())?))),
        None => Ok((authority, None)),
    }
}

/// Whether `host` (a name or IP literal, IPv6 without brackets) is every machine's own name
/// for itself: `localhost`, a loopback or unspecified address. Another machine, or a
/// container, reaches itself there, not this machine.
pub fn names_this_machine(host: &str) -> bool {
    let lower = host.to_ascii_lowercase();
    lower == "localhost"
        || lower.ends_with(".localhost")
        || host
            .parse::<Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
        || host
            .parse::<Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// The host of a URL (scheme, user and port taken off, IPv6 without brackets), lower case.
pub fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    };
    host.to_ascii_lowercase()
}

fn refuse_loopback(host: &str, field: &'static str) -> Result<(), GitlabError> {
    if names_this_machine(host) {
        return Err(GitlabError::invalid(
            field,
            format!(
                "`{host}` is each machine's own name for itself: GitLab would call itself, not this machine. Give the host name or IP address GitLab reaches this machine at, e.g. gpu-box.example.com:8000"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateway_address_becomes_an_endpoint_ending_in_v1() {
        let endpoint = |text: &str| GatewayAddress::parse(text).map(|a| a.endpoint());
        assert_eq!(
            endpoint("gpu-box.example.com").as_deref(),
            Ok("http://gpu-box.example.com:8000/v1")
        );
        assert_eq!(
            endpoint("10.0.0.5:9000").as_deref(),
            Ok("http://10.0.0.5:9000/v1")
        );
        assert_eq!(
            endpoint("https://duo.example.com/").as_deref(),
            Ok("https://duo.example.com/v1")
        );
        assert_eq!(
            endpoint("http://gpu-box:8000/v1").as_deref(),
            Ok("http://gpu-box:8000/v1")
        );
        assert_eq!(
            endpoint("[2001:db8::5]").as_deref(),
            Ok("http://[2001:db8::5]:8000/v1")
        );
    }

    #[test]
    fn loopback_addresses_are_refused_naming_the_field() {
        for text in [
            "localhost",
            "localhost:8000",
            "http://127.0.0.1:8000",
            "127.1.2.3",
            "[::1]:8000",
            "0.0.0.0",
            "app.localhost",
        ] {
            let error = GatewayAddress::parse(text).expect_err(text);
            assert_eq!(error.field(), Some("endpoint_address"), "{text}");
            assert!(
                error.to_string().contains("GitLab would call itself"),
                "{error}"
            );
        }
        for text in [
            "user:pw@gpu-box",
            "ftp://gpu-box",
            "gpu-box:port",
            "2001:db8::5",
            "",
        ] {
            let error = GatewayAddress::parse(text).expect_err(text);
            assert_eq!(error.field(), Some("endpoint_address"), "{text}");
        }
        let long = format!("{}.example.com", "a".repeat(250));
        assert!(GatewayAddress::parse(&long).is_err(), "over GitLab's limit");
    }

    #[test]
    fn gitlab_urls_are_normalised() {
        let url = |text: &str| GitlabUrl::parse(text).map(|u| u.graphql());
        assert_eq!(
            url("gitlab.example.com").as_deref(),
            Ok("https://gitlab.example.com/api/graphql")
        );
        assert_eq!(
            url("http://127.0.0.1:8080/api/graphql").as_deref(),
            Ok("http://127.0.0.1:8080/api/graphql")
        );
        assert_eq!(
            url("https://example.com/gitlab/").as_deref(),
            Ok("https://example.com/gitlab/api/graphql")
        );
        let error = GitlabUrl::parse("https://root:pw@gitlab.example.com").expect_err("userinfo");
        assert_eq!(error.field(), Some("url"));
        assert!(GitlabUrl::parse("https://gitlab.example.com?private_token=x").is_err());
    }

    #[test]
    fn ai_gateway_urls_need_a_scheme() {
        assert_eq!(
            parse_ai_gateway_url("http://aigw.example.com:5052/").as_deref(),
            Ok("http://aigw.example.com:5052")
        );
        let error = parse_ai_gateway_url("aigw:5052").expect_err("no scheme");
        assert_eq!(error.field(), Some("ai_gateway_url"));
    }
}
