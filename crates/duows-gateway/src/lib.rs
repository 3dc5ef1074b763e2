//! The OpenAI-compatible gateway: one endpoint in front of every model this app serves.
