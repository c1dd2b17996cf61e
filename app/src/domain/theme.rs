//! The colour theme a visitor chose. `System` follows the operating system's
//! light/dark preference (via `prefers-color-scheme` in the stylesheet).

/// Name of the cookie that remembers the choice, so the server renders the
/// right theme on the first paint instead of flashing the wrong one.
pub const THEME_COOKIE: &str = "preflight_theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    /// Value of the `data-theme` attribute on `<html>` and of the cookie.
    pub fn attr(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Reads a stored value; anything unknown falls back to `System`.
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// Finds the theme cookie in a `Cookie` request header.
    pub fn from_cookie_header(header: &str) -> Self {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == THEME_COOKIE)
            .map(|(_, value)| Theme::parse(value))
            .unwrap_or_default()
    }

    /// The choice a click on the theme button moves to.
    pub fn next(self) -> Self {
        match self {
            Theme::System => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::System,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "System",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_through_all_three() {
        assert_eq!(Theme::System.next(), Theme::Light);
        assert_eq!(Theme::Light.next(), Theme::Dark);
        assert_eq!(Theme::Dark.next(), Theme::System);
    }

    #[test]
    fn reads_the_cookie_among_others() {
        assert_eq!(Theme::from_cookie_header("a=1; preflight_theme=dark; b=2"), Theme::Dark);
        assert_eq!(Theme::from_cookie_header("preflight_theme=light"), Theme::Light);
        assert_eq!(Theme::from_cookie_header("other=dark"), Theme::System);
        assert_eq!(Theme::from_cookie_header("preflight_theme=<script>"), Theme::System);
        assert_eq!(Theme::from_cookie_header(""), Theme::System);
    }

    #[test]
    fn attr_round_trips() {
        for theme in [Theme::System, Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(theme.attr()), theme);
        }
    }
}
