//! Reading CSV, TSV and XLSX files for loading: encoding and delimiter detection, column types
//! inferred over the whole file.
