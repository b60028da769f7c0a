"""Who the player is and what they allow: profile, consent and contacts, engagement facts
(lifecycle, RFM, offers), responsible gaming, feedback and unsubscribes."""
