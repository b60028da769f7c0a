"""Who the player is and what they allow: profile, consent and contacts, identity merges,
engagement (lifecycle, RFM, offers), responsible gaming, feedback and unsubscribes."""
