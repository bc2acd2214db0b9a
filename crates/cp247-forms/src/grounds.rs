//! Refusal grounds (fields.md §10.12 `RefusalGround`) and where each is legally available.
//!
//! Arts. 29 and 30 have closed lists: preservation may be refused only for a political offence
//! or to protect essential interests (Art. 29(5)), or under an Art. 29(4) reservation on dual
//! criminality for offences other than those of Arts. 2–11; disclosure of traffic data may be
//! withheld only on the two Art. 30(2) grounds. A request for mutual assistance (Art. 31) may
//! also be refused on the Art. 27(4) grounds, on grounds of the requested Party's law or the
//! applicable treaty (Art. 25(4)), for prejudice to domestic proceedings (Art. 27(5)), or for a
//! missing judicial authorisation (domestic law under Art. 15; Benedik v. Slovenia). Technical
//! or legal assistance under Art. 35 has no closed list, so it also admits `other`.
//!
//! Five values are not legal refusals but reasons that make execution impossible
//! (Art. 27(7)): data not held, data deleted, provider not in the jurisdiction, insufficient
//! identifiers, overly broad request. They are marked [`GroundKind::Impossibility`] on the
//! wire and in every view, and are available wherever execution can be impossible, i.e. for
//! Arts. 29, 31 and 35 but not for the withholding of Art. 30(2).
//!
//! `reservation_tool_not_applied` exists only under the Second Additional Protocol
//! (Arts. 7(9), 8(13), 9(1)(b)); no Convention request admits it.
//!
//! Not checked here, because the data are not in the case: whether the refusing Party actually
//! made the Art. 29(4) reservation (its legal profile), and the Art. 25(4) rule that an
//! Arts. 2–11 offence is not refused solely as fiscal (a matter of the explanation).

use std::fmt;

use crate::shared::Choice;
use serde::{Deserialize, Serialize};

use crate::kind::Article;

/// Whether a ground is a legal refusal, a reason of impossibility, or free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroundKind {
    /// A refusal the law allows.
    Legal,
    /// A fact that makes execution impossible (Art. 27(7)); not a legal refusal.
    Impossibility,
    /// Anything else (Art. 35 only).
    Other,
}

impl Choice for GroundKind {
    const ALL: &'static [Self] = &[
        GroundKind::Legal,
        GroundKind::Impossibility,
        GroundKind::Other,
    ];
    fn as_str(&self) -> &'static str {
        match self {
            GroundKind::Legal => "legal",
            GroundKind::Impossibility => "impossibility",
            GroundKind::Other => "other",
        }
    }
}

/// A ground for refusing, withholding or not executing (fields.md §10.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalGround {
    /// The offence is political or connected with a political offence (Arts. 27(4)(a),
    /// 29(5)(a), 30(2)(a)).
    PoliticalOffence,
    /// Sovereignty, security, ordre public or other essential interests (Arts. 27(4)(b),
    /// 29(5)(b), 30(2)(b)).
    EssentialInterests,
    /// The Art. 29(4) reservation: dual criminality cannot be met at disclosure time, for an
    /// offence other than those of Arts. 2–11.
    DualCriminalityReservation,
    /// A ground of the requested Party's law or of the applicable treaty (Art. 25(4)).
    DomesticLawOrTreatyGround,
    /// Execution would prejudice the requested Party's own proceedings (Art. 27(5); normally
    /// a postponement).
    PrejudiceToDomesticProceedings,
    /// The Party reserved the tool (Second Additional Protocol only).
    ReservationToolNotApplied,
    /// A required court or prosecutor's decision is missing (domestic law, Art. 15).
    MissingJudicialAuthorisation,
    /// The provider does not hold the data.
    DataNotHeld,
    /// The data were deleted.
    DataDeleted,
    /// The provider is not in the requested Party's jurisdiction.
    ProviderNotInJurisdiction,
    /// The identifiers do not select the data.
    InsufficientIdentifiers,
    /// The request is too broad to execute.
    OverlyBroad,
    /// Anything else, explained in words.
    Other,
}

impl Choice for RefusalGround {
    const ALL: &'static [Self] = &[
        RefusalGround::PoliticalOffence,
        RefusalGround::EssentialInterests,
        RefusalGround::DualCriminalityReservation,
        RefusalGround::DomesticLawOrTreatyGround,
        RefusalGround::PrejudiceToDomesticProceedings,
        RefusalGround::ReservationToolNotApplied,
        RefusalGround::MissingJudicialAuthorisation,
        RefusalGround::DataNotHeld,
        RefusalGround::DataDeleted,
        RefusalGround::ProviderNotInJurisdiction,
        RefusalGround::InsufficientIdentifiers,
        RefusalGround::OverlyBroad,
        RefusalGround::Other,
    ];
    fn as_str(&self) -> &'static str {
        match self {
            RefusalGround::PoliticalOffence => "political_offence",
            RefusalGround::EssentialInterests => "essential_interests",
            RefusalGround::DualCriminalityReservation => "dual_criminality_reservation",
            RefusalGround::DomesticLawOrTreatyGround => "domestic_law_or_treaty_ground",
            RefusalGround::PrejudiceToDomesticProceedings => "prejudice_to_domestic_proceedings",
            RefusalGround::ReservationToolNotApplied => "reservation_tool_not_applied",
            RefusalGround::MissingJudicialAuthorisation => "missing_judicial_authorisation",
            RefusalGround::DataNotHeld => "data_not_held",
            RefusalGround::DataDeleted => "data_deleted",
            RefusalGround::ProviderNotInJurisdiction => "provider_not_in_jurisdiction",
            RefusalGround::InsufficientIdentifiers => "insufficient_identifiers",
            RefusalGround::OverlyBroad => "overly_broad",
            RefusalGround::Other => "other",
        }
    }
}

impl fmt::Display for RefusalGround {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the offences of a request are all Convention offences (Arts. 2–11), which decides
/// whether the Art. 29(4) dual-criminality ground is available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffenceScope {
    /// Every offence corresponds to one of Arts. 2–11.
    ConventionOffencesOnly,
    /// At least one offence corresponds to none of Arts. 2–11.
    IncludesOtherOffences,
}

impl OffenceScope {
    /// The scope of a list of offences.
    pub fn of<'a>(offences: impl IntoIterator<Item = &'a crate::shared::Offence>) -> Self {
        if offences
            .into_iter()
            .all(|o| o.convention_offence.is_value())
        {
            OffenceScope::ConventionOffencesOnly
        } else {
            OffenceScope::IncludesOtherOffences
        }
    }
}

/// Why a ground is not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroundError {
    /// The article does not list the ground.
    #[error("{ground} is not a ground {article} allows")]
    NotAllowed {
        /// The ground.
        ground: RefusalGround,
        /// The article.
        article: Article,
    },
    /// Art. 29(4) applies only to offences other than those of Arts. 2–11.
    #[error(
        "dual_criminality_reservation applies only to offences other than those of Arts. 2-11, and every offence of the request is one of them"
    )]
    ConventionOffencesOnly,
}

impl RefusalGround {
    /// The name people read, in `lang`.
    pub fn label(self, lang: cp247_i18n::Lang) -> String {
        cp247_i18n::text(
            lang,
            &format!("case-ground-{}", self.as_str().replace('_', "-")),
        )
    }

    /// Legal, impossibility or other.
    pub fn kind(self) -> GroundKind {
        match self {
            RefusalGround::PoliticalOffence
            | RefusalGround::EssentialInterests
            | RefusalGround::DualCriminalityReservation
            | RefusalGround::DomesticLawOrTreatyGround
            | RefusalGround::PrejudiceToDomesticProceedings
            | RefusalGround::ReservationToolNotApplied
            | RefusalGround::MissingJudicialAuthorisation => GroundKind::Legal,
            RefusalGround::DataNotHeld
            | RefusalGround::DataDeleted
            | RefusalGround::ProviderNotInJurisdiction
            | RefusalGround::InsufficientIdentifiers
            | RefusalGround::OverlyBroad => GroundKind::Impossibility,
            RefusalGround::Other => GroundKind::Other,
        }
    }

    /// Whether `article` lists the ground (fields.md §10.12), before the Art. 29(4) offence
    /// condition.
    pub fn listed_for(self, article: Article) -> bool {
        use Article::{Art29, Art30, Art31, Art35};
        match self {
            RefusalGround::PoliticalOffence | RefusalGround::EssentialInterests => true,
            RefusalGround::DualCriminalityReservation => matches!(article, Art29),
            RefusalGround::DomesticLawOrTreatyGround
            | RefusalGround::PrejudiceToDomesticProceedings
            | RefusalGround::MissingJudicialAuthorisation => matches!(article, Art31 | Art35),
            RefusalGround::ReservationToolNotApplied => false,
            RefusalGround::DataNotHeld
            | RefusalGround::DataDeleted
            | RefusalGround::ProviderNotInJurisdiction
            | RefusalGround::InsufficientIdentifiers
            | RefusalGround::OverlyBroad => matches!(article, Art29 | Art31 | Art35),
            RefusalGround::Other => match article {
                Art35 => true,
                Art29 | Art30 | Art31 => false,
            },
        }
    }

    /// Whether the ground may be used on a request under `article` whose offences are
    /// `offences`.
    pub fn check(self, article: Article, offences: OffenceScope) -> Result<(), GroundError> {
        if !self.listed_for(article) {
            return Err(GroundError::NotAllowed {
                ground: self,
                article,
            });
        }
        if self == RefusalGround::DualCriminalityReservation
            && offences == OffenceScope::ConventionOffencesOnly
        {
            return Err(GroundError::ConventionOffencesOnly);
        }
        Ok(())
    }

    /// The grounds `article` lists.
    pub fn allowed_for(article: Article) -> Vec<RefusalGround> {
        RefusalGround::ALL
            .iter()
            .copied()
            .filter(|g| g.listed_for(article))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Art30Ground;

    #[test]
    fn art30_allows_exactly_the_forms_withholding_grounds() {
        let here: Vec<&str> = RefusalGround::allowed_for(Article::Art30)
            .iter()
            .map(|g| g.as_str())
            .collect();
        let forms: Vec<&str> = Art30Ground::ALL.iter().map(|g| g.as_str()).collect();
        assert_eq!(here, forms);
        for name in crate::documents::GROUNDS_NOT_IN_ART30 {
            let g = RefusalGround::from_name(name).unwrap();
            assert!(!g.listed_for(Article::Art30), "{g}");
        }
    }

    #[test]
    fn impossibility_grounds_are_marked() {
        let impossible: Vec<RefusalGround> = RefusalGround::ALL
            .iter()
            .copied()
            .filter(|g| g.kind() == GroundKind::Impossibility)
            .collect();
        assert_eq!(impossible.len(), 5);
        assert_eq!(RefusalGround::Other.kind(), GroundKind::Other);
    }
}
