//! How values are written into the page: escaped text, signed margins and
//! the colour of each service.

/// Colourblind-friendly, well apart (no red: red means "broken" here).
const PALETTE: [&str; 12] = [
    "#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#86bcb6", "#d4a6c8", "#8cd17d", "#bab0ac",
];

/// A service's colour: the palette, then hues a golden angle apart.
pub(super) fn service_colour(index: usize) -> String {
    match PALETTE.get(index) {
        Some(colour) => colour.to_string(),
        None => format!("hsl({:.1},55%,55%)", (index as f64 * 137.508) % 360.0),
    }
}

/// Escapes text for HTML element content and quoted attribute values alike.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn signed(margin: i64) -> String {
    match margin {
        m if m > 0 => format!("+{m}"),
        0 => "0".to_string(),
        m => format!("\u{2212}{}", -m),
    }
}
