//! GeoJSON geometries (what CKAN's `spatial` field holds) to WKT (what GeoDCAT-AP writes) and
//! back. Coordinates are copied as written, without rounding.

use serde_json::{Map, Value, json};

fn position(value: &Value) -> Option<String> {
    let coords = value.as_array()?;
    if coords.len() < 2 || coords.len() > 4 {
        return None;
    }
    let numbers: Option<Vec<String>> = coords
        .iter()
        .map(|c| c.as_number().filter(|n| n.as_f64().is_some()).map(|n| n.to_string()))
        .collect();
    Some(numbers?.join(" "))
}

fn list(value: &Value, item: fn(&Value) -> Option<String>) -> Option<String> {
    let items = value.as_array()?;
    if items.is_empty() {
        return None;
    }
    let parts: Option<Vec<String>> = items.iter().map(item).collect();
    Some(format!("({})", parts?.join(", ")))
}

fn line(value: &Value) -> Option<String> {
    list(value, position)
}

fn polygon(value: &Value) -> Option<String> {
    list(value, line)
}

fn point_in_list(value: &Value) -> Option<String> {
    position(value).map(|p| format!("({p})"))
}

/// The WKT of a GeoJSON geometry object (or of a string holding one).
pub(crate) fn geojson_to_wkt(geometry: &Value) -> Option<String> {
    if let Value::String(text) = geometry {
        return geojson_to_wkt(&serde_json::from_str(text).ok()?);
    }
    let object = geometry.as_object()?;
    let kind = object.get("type")?.as_str()?;
    if kind == "GeometryCollection" {
        let parts: Option<Vec<String>> =
            object.get("geometries")?.as_array()?.iter().map(geojson_to_wkt).collect();
        return Some(format!("GEOMETRYCOLLECTION ({})", parts?.join(", ")));
    }
    let coordinates = object.get("coordinates")?;
    Some(match kind {
        "Point" => format!("POINT ({})", position(coordinates)?),
        "MultiPoint" => format!("MULTIPOINT {}", list(coordinates, point_in_list)?),
        "LineString" => format!("LINESTRING {}", line(coordinates)?),
        "MultiLineString" => format!("MULTILINESTRING {}", polygon(coordinates)?),
        "Polygon" => format!("POLYGON {}", polygon(coordinates)?),
        "MultiPolygon" => format!("MULTIPOLYGON {}", list(coordinates, polygon)?),
        _ => return None,
    })
}

/// WKT tokens: words, numbers and punctuation.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn peek(&self) -> Option<&'a str> {
        let rest = self.rest.trim_start();
        let first = rest.chars().next()?;
        let end = if matches!(first, '(' | ')' | ',') {
            1
        } else {
            rest.find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',')).unwrap_or(rest.len())
        };
        Some(&rest[..end])
    }

    fn next(&mut self) -> Option<&'a str> {
        let token = self.peek()?;
        let rest = self.rest.trim_start();
        self.rest = &rest[token.len()..];
        Some(token)
    }

    fn expect(&mut self, token: &str) -> Option<()> {
        (self.next()? == token).then_some(())
    }
}

fn number(tokens: &mut Tokens<'_>) -> Option<Value> {
    let text = tokens.next()?;
    let n: f64 = text.parse().ok().filter(|f: &f64| f.is_finite())?;
    // Keep integers as integers, as GeoJSON writers do.
    if n.fract() == 0.0 && n.abs() < 1e15 && !text.contains(['.', 'e', 'E']) {
        Some(json!(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}

fn wkt_position(tokens: &mut Tokens<'_>) -> Option<Value> {
    let mut coords = vec![number(tokens)?, number(tokens)?];
    while tokens.peek().is_some_and(|t| t != "," && t != ")") {
        coords.push(number(tokens)?);
    }
    Some(Value::Array(coords))
}

fn wkt_list(tokens: &mut Tokens<'_>, item: fn(&mut Tokens<'_>) -> Option<Value>) -> Option<Value> {
    tokens.expect("(")?;
    let mut items = vec![item(tokens)?];
    loop {
        match tokens.next()? {
            "," => items.push(item(tokens)?),
            ")" => return Some(Value::Array(items)),
            _ => return None,
        }
    }
}

fn wkt_line(tokens: &mut Tokens<'_>) -> Option<Value> {
    wkt_list(tokens, wkt_position)
}

fn wkt_polygon(tokens: &mut Tokens<'_>) -> Option<Value> {
    wkt_list(tokens, wkt_line)
}

fn wkt_multipoint_item(tokens: &mut Tokens<'_>) -> Option<Value> {
    // Both `MULTIPOINT ((1 2), (3 4))` and `MULTIPOINT (1 2, 3 4)` occur.
    if tokens.peek()? == "(" {
        tokens.next();
        let p = wkt_position(tokens)?;
        tokens.expect(")")?;
        Some(p)
    } else {
        wkt_position(tokens)
    }
}

fn wkt_geometry(tokens: &mut Tokens<'_>) -> Option<Value> {
    let kind = tokens.next()?.to_ascii_uppercase();
    // Dimension markers (`POINT Z (...)`) carry no information GeoJSON needs.
    if tokens.peek().is_some_and(|t| matches!(t.to_ascii_uppercase().as_str(), "Z" | "M" | "ZM")) {
        tokens.next();
    }
    let (name, coordinates) = match kind.as_str() {
        "POINT" => {
            tokens.expect("(")?;
            let p = wkt_position(tokens)?;
            tokens.expect(")")?;
            ("Point", p)
        }
        "MULTIPOINT" => ("MultiPoint", wkt_list(tokens, wkt_multipoint_item)?),
        "LINESTRING" => ("LineString", wkt_line(tokens)?),
        "MULTILINESTRING" => ("MultiLineString", wkt_polygon(tokens)?),
        "POLYGON" => ("Polygon", wkt_polygon(tokens)?),
        "MULTIPOLYGON" => ("MultiPolygon", wkt_list(tokens, wkt_polygon)?),
        "GEOMETRYCOLLECTION" => {
            let geometries = wkt_list(tokens, wkt_geometry)?;
            return Some(json!({"type": "GeometryCollection", "geometries": geometries}));
        }
        _ => return None,
    };
    let mut object = Map::new();
    object.insert("type".into(), name.into());
    object.insert("coordinates".into(), coordinates);
    Some(Value::Object(object))
}

/// The GeoJSON geometry of a WKT text, with or without a leading CRS IRI (`<...> POLYGON(...)`)
/// or `SRID=4326;`. Coordinates are taken in the order written.
pub(crate) fn wkt_to_geojson(wkt: &str) -> Option<Value> {
    let mut text = wkt.trim();
    if text.starts_with('<') {
        text = text.split_once('>')?.1;
    }
    if text.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("SRID=")) {
        text = text.split_once(';')?.1;
    }
    let mut tokens = Tokens { rest: text };
    let geometry = wkt_geometry(&mut tokens)?;
    tokens.peek().is_none().then_some(geometry)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn polygon_both_ways() {
        let geojson = json!({"type": "Polygon", "coordinates": [[[-1.35, 53.0], [-1.16, 53.0], [-1.16, 53.2], [-1.35, 53.0]]]});
        let wkt = geojson_to_wkt(&geojson).unwrap();
        assert_eq!(wkt, "POLYGON ((-1.35 53.0, -1.16 53.0, -1.16 53.2, -1.35 53.0))");
        assert_eq!(wkt_to_geojson(&wkt).unwrap(), geojson);
    }

    #[test]
    fn every_type() {
        for g in [
            json!({"type": "Point", "coordinates": [10, 56]}),
            json!({"type": "MultiPoint", "coordinates": [[10, 56], [11, 57]]}),
            json!({"type": "LineString", "coordinates": [[10, 56], [11, 57]]}),
            json!({"type": "MultiLineString", "coordinates": [[[10, 56], [11, 57]], [[1, 2], [3, 4]]]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]}),
            json!({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1, 2]}]}),
        ] {
            let wkt = geojson_to_wkt(&g).unwrap();
            assert_eq!(wkt_to_geojson(&wkt).unwrap(), g, "{wkt}");
        }
    }

    #[test]
    fn crs_prefix_and_garbage() {
        let g = wkt_to_geojson("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT(10 56)").unwrap();
        assert_eq!(g, json!({"type": "Point", "coordinates": [10, 56]}));
        assert!(wkt_to_geojson("POINT(10)").is_none());
        assert!(wkt_to_geojson("POLYGON((1 2, 3 4)").is_none());
        assert!(wkt_to_geojson("Schweiz").is_none());
        assert!(geojson_to_wkt(&json!("Schweiz")).is_none());
        assert!(geojson_to_wkt(&json!({"type": "Point", "coordinates": ["a", 1]})).is_none());
    }
}
