//! Placeholder until the sync server issue lands.
