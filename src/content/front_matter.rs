//! The TOML front matter of a comparison file, exactly as an editor writes it.
//! Spanned fields remember their position so that validation errors can name the line.

use serde::Deserialize;
use toml::Spanned;

/// Everything between the two `+++` lines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// Headline, e.g. "SmolLM3 vs Code Llama 4".
    pub title: Spanned<String>,
    /// The reader's question the comparison answers, e.g. "Which open model should you ship with?".
    pub question: Spanned<String>,
    /// Publication time with its UTC offset (TOML offset datetime). Its local date must match the
    /// file name's date.
    pub published: Spanned<toml::value::Datetime>,
    /// Category shown above the tools, e.g. "Developer Tools".
    pub category: Spanned<String>,
    /// Canonical URL of the full verdict page. Default: `{base_url}/compare/{slug}`.
    pub url: Option<Spanned<String>>,
    /// The tools compared: two or more.
    #[serde(default)]
    pub tools: Vec<ToolFrontMatter>,
    /// The reviewer scorecard: one entry per lens and tool.
    pub reviews: Vec<ReviewFrontMatter>,
}

/// One `[[tools]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolFrontMatter {
    /// Product name; reviews refer to the tool by this exact name.
    pub name: Spanned<String>,
    /// One-line pitch.
    pub tagline: Spanned<String>,
    /// Percent (0-100) of the reviewer panel that would ship it.
    pub panel_ship: Spanned<i64>,
    /// Percent (0-100) of community voters who would ship it. Absent: no votes yet.
    pub community_ship: Option<Spanned<i64>>,
    /// Number of community votes; required together with `community_ship`.
    pub community_votes: Option<Spanned<i64>>,
    /// Cheapest way in, as displayed: "Free", "$20/mo", "Contact sales".
    pub entry_price: Spanned<String>,
    /// Two or three sentences on what the tool is.
    pub summary: Spanned<String>,
}

/// One `[[reviews]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewFrontMatter {
    /// The reviewer's lens.
    pub lens: Lens,
    /// Name of the tool reviewed; must be one of the comparison's tools.
    pub tool: Spanned<String>,
    /// Would this lens ship it?
    pub verdict: Verdict,
    /// Marks the pull quote shown for this tool in the email (default: the tool's first review).
    #[serde(default)]
    pub pull: Option<Spanned<bool>>,
    /// The review itself.
    pub quote: Spanned<String>,
}

/// The four reviewer lenses of the publication's scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lens {
    DeveloperExperience,
    CompetitionRisk,
    Thesis,
    Buyer,
}

impl Lens {
    pub const ALL: [Lens; 4] = [
        Lens::DeveloperExperience,
        Lens::CompetitionRisk,
        Lens::Thesis,
        Lens::Buyer,
    ];

    /// Label as shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Lens::DeveloperExperience => "Developer experience",
            Lens::CompetitionRisk => "Competition & risk",
            Lens::Thesis => "The thesis",
            Lens::Buyer => "The buyer",
        }
    }
}

/// A lens's call on a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ship,
    Skip,
}
