//! The one palette: every colour and the type stack that the web pages, the archive, the weekly email and the
//! confirmation email use, named once.
//!
//! Each value is written once, in [`colour!`]. Email styles are `const` strings glued with `concat!` (they are
//! spliced into `style` attributes and must cost nothing at send time), and `concat!` accepts only literals or
//! macros that expand to them, not `const`s: hence a macro, with a `const` of the same name beside each entry
//! for code that needs the value at run time.

/// The palette's value for a name, as a string literal usable inside `concat!`.
macro_rules! colour {
    // Light: the default everywhere.
    (PAGE_BG) => {
        "#f3f4f6"
    };
    (SURFACE) => {
        "#ffffff"
    };
    (SURFACE_SUBTLE) => {
        "#f9fafb"
    };
    (TEXT) => {
        "#111827"
    };
    (TEXT_BODY) => {
        "#374151"
    };
    (TEXT_QUOTE) => {
        "#1f2937"
    };
    (TEXT_MUTED) => {
        "#4b5563"
    };
    (TEXT_FAINT) => {
        "#6b7280"
    };
    (RULE) => {
        "#e5e7eb"
    };
    (FIELD_BORDER) => {
        "#d1d5db"
    };
    (ACCENT) => {
        "#1d4ed8"
    };
    (ON_ACCENT) => {
        "#ffffff"
    };
    (NOTE_BG) => {
        "#eff6ff"
    };
    (SHIP) => {
        "#15803d"
    };
    (SKIP) => {
        "#b91c1c"
    };
    (BAR_PANEL) => {
        "#16a34a"
    };
    (BAR_COMMUNITY) => {
        "#7c3aed"
    };
    (ERROR_BG) => {
        "#fef2f2"
    };
    (ERROR) => {
        "#991b1b"
    };
    (OK_BG) => {
        "#f0fdf4"
    };
    (OK) => {
        "#166534"
    };
    (SHADOW) => {
        "rgba(0,0,0,.12)"
    };
    // Dark: for readers whose system asks for it (`prefers-color-scheme: dark`).
    (DARK_PAGE_BG) => {
        "#0b0f19"
    };
    (DARK_SURFACE) => {
        "#111827"
    };
    (DARK_SURFACE_RAISED) => {
        "#1f2937"
    };
    (DARK_RULE) => {
        "#374151"
    };
    (DARK_FIELD_BORDER) => {
        "#4b5563"
    };
    (DARK_TEXT) => {
        "#f3f4f6"
    };
    (DARK_TEXT_MUTED) => {
        "#cbd5e1"
    };
    (DARK_ACCENT) => {
        "#93c5fd"
    };
    (DARK_ON_ACCENT) => {
        "#111827"
    };
    (DARK_SHIP) => {
        "#4ade80"
    };
    (DARK_SKIP) => {
        "#f87171"
    };
    (DARK_ERROR_BG) => {
        "#450a0a"
    };
    (DARK_ERROR) => {
        "#fecaca"
    };
    (DARK_OK_BG) => {
        "#052e16"
    };
    (DARK_OK) => {
        "#bbf7d0"
    };
    // Type.
    (FONT_STACK) => {
        "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
    };
}
pub(crate) use colour;

pub const PAGE_BG: &str = colour!(PAGE_BG);
pub const SURFACE: &str = colour!(SURFACE);
pub const SURFACE_SUBTLE: &str = colour!(SURFACE_SUBTLE);
pub const TEXT: &str = colour!(TEXT);
pub const TEXT_BODY: &str = colour!(TEXT_BODY);
pub const TEXT_QUOTE: &str = colour!(TEXT_QUOTE);
pub const TEXT_MUTED: &str = colour!(TEXT_MUTED);
pub const TEXT_FAINT: &str = colour!(TEXT_FAINT);
pub const RULE: &str = colour!(RULE);
pub const FIELD_BORDER: &str = colour!(FIELD_BORDER);
pub const ACCENT: &str = colour!(ACCENT);
pub const ON_ACCENT: &str = colour!(ON_ACCENT);
pub const NOTE_BG: &str = colour!(NOTE_BG);
pub const SHIP: &str = colour!(SHIP);
pub const SKIP: &str = colour!(SKIP);
pub const BAR_PANEL: &str = colour!(BAR_PANEL);
pub const BAR_COMMUNITY: &str = colour!(BAR_COMMUNITY);
pub const ERROR_BG: &str = colour!(ERROR_BG);
pub const ERROR: &str = colour!(ERROR);
pub const OK_BG: &str = colour!(OK_BG);
pub const OK: &str = colour!(OK);
pub const SHADOW: &str = colour!(SHADOW);
pub const DARK_PAGE_BG: &str = colour!(DARK_PAGE_BG);
pub const DARK_SURFACE: &str = colour!(DARK_SURFACE);
pub const DARK_SURFACE_RAISED: &str = colour!(DARK_SURFACE_RAISED);
pub const DARK_RULE: &str = colour!(DARK_RULE);
pub const DARK_FIELD_BORDER: &str = colour!(DARK_FIELD_BORDER);
pub const DARK_TEXT: &str = colour!(DARK_TEXT);
pub const DARK_TEXT_MUTED: &str = colour!(DARK_TEXT_MUTED);
pub const DARK_ACCENT: &str = colour!(DARK_ACCENT);
pub const DARK_ON_ACCENT: &str = colour!(DARK_ON_ACCENT);
pub const DARK_SHIP: &str = colour!(DARK_SHIP);
pub const DARK_SKIP: &str = colour!(DARK_SKIP);
pub const DARK_ERROR_BG: &str = colour!(DARK_ERROR_BG);
pub const DARK_ERROR: &str = colour!(DARK_ERROR);
pub const DARK_OK_BG: &str = colour!(DARK_OK_BG);
pub const DARK_OK: &str = colour!(DARK_OK);
pub const FONT_STACK: &str = colour!(FONT_STACK);

/// Every colour above: a test that finds a colour outside this list has found a stray literal.
pub const ALL_COLOURS: &[&str] = &[
    PAGE_BG,
    SURFACE,
    SURFACE_SUBTLE,
    TEXT,
    TEXT_BODY,
    TEXT_QUOTE,
    TEXT_MUTED,
    TEXT_FAINT,
    RULE,
    FIELD_BORDER,
    ACCENT,
    ON_ACCENT,
    NOTE_BG,
    SHIP,
    SKIP,
    BAR_PANEL,
    BAR_COMMUNITY,
    ERROR_BG,
    ERROR,
    OK_BG,
    OK,
    DARK_PAGE_BG,
    DARK_SURFACE,
    DARK_SURFACE_RAISED,
    DARK_RULE,
    DARK_FIELD_BORDER,
    DARK_TEXT,
    DARK_TEXT_MUTED,
    DARK_ACCENT,
    DARK_ON_ACCENT,
    DARK_SHIP,
    DARK_SKIP,
    DARK_ERROR_BG,
    DARK_ERROR,
    DARK_OK_BG,
    DARK_OK,
];
