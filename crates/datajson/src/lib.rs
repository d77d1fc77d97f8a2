#![doc = include_str!("../README.md")]

mod catalog;
mod ckan;
mod error;
mod export;
mod harvest;
mod valid;
mod vocab;

pub use catalog::{CONFORMS_TO, CONTEXT, CatalogInfo, CatalogWriter, DESCRIBED_BY, catalog_json};
pub use error::DatajsonError;
pub use export::dataset_json;
pub use harvest::{Catalog, dataset_to_ckan, identifier_of, parse_catalog};
