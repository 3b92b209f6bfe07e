//! Secrets by type, never by pattern-matching command lines: the password in a URL's
//! userinfo, the value of a variable whose name says it is secret. What golive prints
//! or writes about a secret is whether it is set, and at most its length.

/// `url` with the password of its userinfo replaced by `****` (a userinfo of one part,
/// often a key, is replaced whole). Anything that is not `scheme://…@host` is returned
/// as it is.
pub fn url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:****"),
        None => "****".to_string(),
    };
    format!("{}://{shown}{}", &url[..scheme_end], &rest[at..])
}

/// Names that hold secrets by convention (`DB_PASS`, `SMTP_PWD`, `AUTH_HEADER`,
/// `SESSION_SIGNING`, `STRIPE_SECRET_KEY`…).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASS",
        "PWD",
        "SECRET",
        "TOKEN",
        "KEY",
        "SIGN",
        "AUTH",
        "COOKIE",
        "CREDENTIAL",
        "PRIVATE",
        "JWT",
        "SESSION",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// What may be said of a secret's value: that it is set, and its length.
pub fn set_with_length(value: &str) -> String {
    let n = value.chars().count();
    format!("set ({n} char{})", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_userinfo_loses_its_secret_part() {
        assert_eq!(
            url("postgres://app:hunter2@db:5432/x"),
            "postgres://app:****@db:5432/x"
        );
        assert_eq!(
            url("https://abc123@o1.ingest.example/1"),
            "https://****@o1.ingest.example/1"
        );
        assert_eq!(url("http://u:p@h/a@b"), "http://u:****@h/a@b");
        assert_eq!(url("http://h/path?mail=a@b"), "http://h/path?mail=a@b");
        assert_eq!(url("not a url"), "not a url");
    }

    #[test]
    fn secret_names_by_convention() {
        for n in [
            "DB_PASS",
            "SMTP_PWD",
            "AUTH_HEADER",
            "SESSION_SIGNING",
            "STRIPE_SECRET_KEY",
            "API_TOKEN",
            "COOKIE_JAR",
            "GCP_CREDENTIALS",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["LOG_LEVEL", "PROD_URL", "EMAIL_FROM"] {
            assert!(!is_secret_name(n), "{n}");
        }
        assert_eq!(set_with_length("hunter2"), "set (7 chars)");
    }
}
