//! Inline styles of the email, named once. Email clients ignore most `<style>` blocks, so every
//! element carries its look in a `style` attribute; the block in the head only adds dark mode
//! and narrow-screen tweaks. Every colour and the type come from the shared palette
//! ([`crate::look::palette`]). Not run through rustfmt, which would put every piece of every
//! `concat!` on a line of its own.

use crate::look::palette::colour;

pub const FONT: &str = concat!("font-family:", colour!(FONT_STACK), ";");

pub const BODY: &str = concat!("margin:0;padding:0;background-color:", colour!(PAGE_BG), ";");
pub const OUTER_CELL: &str = "padding:24px 12px;";
pub const CARD: &str = concat!("width:600px;max-width:600px;background-color:", colour!(SURFACE), ";border-radius:8px;");
pub const HEADER_CELL: &str = "padding:24px 28px 8px 28px;";
pub const BRAND: &str = concat!("font-size:13px;line-height:18px;font-weight:700;letter-spacing:1px;text-transform:uppercase;color:", colour!(ACCENT), ";");
pub const ISSUE_LINE: &str = concat!("font-size:13px;line-height:18px;color:", colour!(TEXT_MUTED), ";");
pub const INTRO: &str = concat!("margin:8px 0 0 0;font-size:22px;line-height:28px;font-weight:700;color:", colour!(TEXT), ";");

pub const SECTION_CELL: &str = concat!("padding:20px 28px;border-top:1px solid ", colour!(RULE), ";");
pub const CATEGORY: &str = concat!("font-size:12px;line-height:16px;font-weight:700;text-transform:uppercase;letter-spacing:0.5px;color:", colour!(TEXT_FAINT), ";");
pub const TITLE: &str = concat!("margin:4px 0 4px 0;font-size:20px;line-height:26px;font-weight:700;color:", colour!(TEXT), ";");
pub const TITLE_LINK: &str = concat!("color:", colour!(TEXT), ";text-decoration:none;");
pub const QUESTION: &str = concat!("margin:0 0 14px 0;font-size:15px;line-height:22px;color:", colour!(TEXT_BODY), ";");

pub const COMPACT_CELL: &str = concat!("padding:14px 28px;border-top:1px solid ", colour!(RULE), ";");
pub const COMPACT_TITLE: &str = concat!("margin:2px 0 2px 0;font-size:17px;line-height:23px;font-weight:700;color:", colour!(TEXT), ";");
pub const COMPACT_LINE: &str = concat!("padding-top:2px;font-size:13px;line-height:19px;color:", colour!(TEXT_BODY), ";");
pub const NOWRAP: &str = "white-space:nowrap;";
pub const COMPACT_LINK_LINE: &str = "margin:8px 0 0 0;font-size:14px;line-height:20px;";

pub const TOOL_CELL: &str = concat!("padding:12px;background-color:", colour!(SURFACE_SUBTLE), ";border:1px solid ", colour!(RULE), ";border-radius:6px;");
pub const TOOL_NAME: &str = concat!("font-size:16px;line-height:22px;font-weight:700;color:", colour!(TEXT), ";");
pub const TAGLINE: &str = concat!("font-size:13px;line-height:18px;color:", colour!(TEXT_MUTED), ";padding-bottom:10px;");
/// On the metrics table, inherited by its cells: a busy week has a hundred metric rows, and
/// repeating the type on every cell alone would cost Gmail's size budget several KB.
pub const METRICS: &str = concat!("font-size:12px;line-height:16px;color:", colour!(TEXT_MUTED), ";");
pub const METRIC_LABEL: &str = "padding-top:6px;";
pub const METRIC_VALUE: &str = concat!("padding-top:6px;text-align:right;font-weight:700;color:", colour!(TEXT), ";");
pub const BAR_TRACK: &str = concat!("background-color:", colour!(RULE), ";height:8px;font-size:0;line-height:0;");
pub const BAR_PANEL: &str = concat!("background-color:", colour!(BAR_PANEL), ";height:8px;font-size:0;line-height:0;");
pub const BAR_COMMUNITY: &str = concat!("background-color:", colour!(BAR_COMMUNITY), ";height:8px;font-size:0;line-height:0;");

pub const SPLIT_LINE: &str = concat!("font-size:13px;line-height:19px;color:", colour!(TEXT_BODY), ";padding-top:4px;");
pub const SHIP: &str = concat!("color:", colour!(SHIP), ";font-weight:700;");
pub const SKIP: &str = concat!("color:", colour!(SKIP), ";font-weight:700;");
pub const QUOTE_CELL: &str = concat!("padding:10px 14px;border-left:3px solid ", colour!(ACCENT), ";font-size:14px;line-height:21px;color:", colour!(TEXT_QUOTE), ";");
pub const QUOTE_BY: &str = concat!("font-size:12px;line-height:16px;color:", colour!(TEXT_FAINT), ";");
pub const NOTE_CELL: &str = concat!("padding:10px 14px;background-color:", colour!(NOTE_BG), ";font-size:14px;line-height:21px;color:", colour!(TEXT_QUOTE), ";");
pub const BUTTON_CELL: &str = concat!("background-color:", colour!(ACCENT), ";border-radius:6px;");
pub const BUTTON_LINK: &str = concat!("display:inline-block;padding:10px 18px;font-size:14px;line-height:18px;font-weight:700;color:", colour!(ON_ACCENT), ";text-decoration:none;");

pub const FOOTER_CELL: &str = concat!("padding:20px 28px 28px 28px;border-top:1px solid ", colour!(RULE), ";font-size:12px;line-height:18px;color:", colour!(TEXT_FAINT), ";");
pub const FOOTER_LINK: &str = concat!("color:", colour!(ACCENT), ";text-decoration:underline;");
/// Hidden every way clients honour; no text colour matching the background, which SpamAssassin
/// scores as hidden text (HTML_FONT_LOW_CONTRAST).
pub const PREHEADER: &str = "display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;";

/// Dark mode (Apple Mail, Thunderbird, Outlook.com) and phone widths. The classes it names are
/// on the elements above; `!important` is needed to beat the inline styles.
pub const HEAD_CSS: &str = concat!(
    ":root{color-scheme:light dark;}",
    "@media (prefers-color-scheme: dark){",
    ".vd-body{background-color:", colour!(DARK_PAGE_BG), " !important;}",
    ".vd-card{background-color:", colour!(DARK_SURFACE), " !important;}",
    ".vd-tool,.vd-note{background-color:", colour!(DARK_SURFACE_RAISED),
    " !important;border-color:", colour!(DARK_RULE), " !important;}",
    ".vd-text{color:", colour!(DARK_TEXT), " !important;}",
    ".vd-muted{color:", colour!(DARK_TEXT_MUTED), " !important;}",
    ".vd-link,.vd-note a{color:", colour!(DARK_ACCENT), " !important;}",
    ".vd-pad{border-color:", colour!(DARK_RULE), " !important;}",
    ".vd-track{background-color:", colour!(DARK_RULE), " !important;}",
    ".vd-ship{color:", colour!(DARK_SHIP), " !important;}",
    ".vd-skip{color:", colour!(DARK_SKIP), " !important;}",
    "}",
    "@media only screen and (max-width:620px){",
    ".vd-card{width:100% !important;}",
    ".vd-pad{padding-left:16px !important;padding-right:16px !important;}",
    ".vd-stack{display:block !important;width:100% !important;box-sizing:border-box;}",
    ".vd-gap{display:block !important;width:auto !important;height:12px !important;}",
    "}",
);
