//! What a check was run on, for the headers and metadata of its outputs.

/// What a check was run on, for headers and metadata.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckContext {
    pub inventory: String,
    pub placement: String,
    pub services_file: String,
    pub servers: usize,
    pub racks: usize,
    pub power_components: usize,
    pub replicas: usize,
}
