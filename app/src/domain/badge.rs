//! The status badge: a README shield showing a service's level and gate,
//! drawn as a small SVG from its stored figures. Pure, so it is tested
//! without a server.

use super::services::Figures;

/// Colours of the message half: ready, ready by exception, not ready.
const READY: &str = "#2e7d32";
const WAIVED: &str = "#9a5b00";
const NOT_READY: &str = "#c62828";
const LABEL_BG: &str = "#555";

/// The badge's two halves of text: "preflight" and, e.g.,
/// "gold · ready", "silver · ready, 2 waivers", "no level · not ready".
pub fn message(figures: &Figures) -> String {
    let level = figures.level.map(|l| l.as_str().to_string()).unwrap_or_else(|| "no level".into());
    let gate = match (figures.ready, figures.waivers) {
        (false, _) => "not ready".to_string(),
        (true, 0) => "ready".to_string(),
        (true, 1) => "ready, 1 waiver".to_string(),
        (true, n) => format!("ready, {n} waivers"),
    };
    format!("{level} · {gate}")
}

/// Width in pixels of `text` in 11 px sans-serif, near enough for a shield
/// (average advance of DejaVu Sans / Verdana at that size).
fn text_width(text: &str) -> u32 {
    text.chars()
        .map(|c| {
            if c.is_ascii_uppercase() || c == 'w' || c == 'm' {
                8
            } else if c == ' ' || c == '·' {
                4
            } else {
                7
            }
        })
        .sum::<u32>()
}

/// The badge as a standalone SVG document.
pub fn svg(figures: &Figures) -> String {
    let label = "preflight";
    let message = message(figures);
    let colour = match (figures.ready, figures.waivers) {
        (false, _) => NOT_READY,
        (true, 0) => READY,
        (true, _) => WAIVED,
    };
    let (lw, mw) = (text_width(label) + 12, text_width(&message) + 12);
    let width = lw + mw;
    // `message` is built from fixed words and numbers only; nothing a user
    // typed reaches the document, so there is nothing to escape.
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {message}"><title>{label}: {message}</title><rect width="{lw}" height="20" rx="3" fill="{LABEL_BG}"/><rect x="{lw}" width="{mw}" height="20" rx="3" fill="{colour}"/><rect x="{lw}" width="4" height="20" fill="{colour}"/><g fill="#fff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11" text-anchor="middle"><text x="{lx}" y="14">{label}</text><text x="{mx}" y="14">{message}</text></g></svg>"##,
        lx = lw / 2,
        mx = lw + mw / 2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checklist::Level;

    fn figures(level: Option<Level>, ready: bool, waivers: u32) -> Figures {
        Figures { level, ready, waivers, ..Figures::default() }
    }

    #[test]
    fn the_message_says_level_and_gate() {
        assert_eq!(message(&figures(None, false, 0)), "no level · not ready");
        assert_eq!(message(&figures(Some(Level::Gold), true, 0)), "gold · ready");
        assert_eq!(message(&figures(Some(Level::Bronze), true, 1)), "bronze · ready, 1 waiver");
        assert_eq!(message(&figures(Some(Level::Silver), true, 2)), "silver · ready, 2 waivers");
    }

    #[test]
    fn the_svg_is_labelled_coloured_by_gate_and_sized_to_its_text() {
        let ready = svg(&figures(Some(Level::Gold), true, 0));
        assert!(ready.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(ready.contains("aria-label=\"preflight: gold · ready\""));
        assert!(ready.contains(READY) && !ready.contains(NOT_READY));
        assert!(svg(&figures(None, false, 0)).contains(NOT_READY));
        assert!(svg(&figures(Some(Level::Bronze), true, 3)).contains(WAIVED));
        let width = |s: &str| s.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse::<u32>().unwrap();
        assert!(width(&svg(&figures(Some(Level::Silver), true, 2))) > width(&ready));
    }
}
