//! Resource files (ckan-api.md §1.7): uploads as `multipart/form-data` on resource_create,
//! resource_update and resource_patch, the stored file's lifecycle, and
//! `/dataset/{id}/resource/{rid}/download[/{filename}]` with its permissions, validators and
//! ranges.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod world;

use std::path::{Path, PathBuf};

use common::{Options, Reply, TestServer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use world::{EVERYONE, Persona, World};

const BOUNDARY: &str = "datahavn-test-boundary-7d9f";

/// A file part: (field name, file name, content type, bytes).
type FilePart<'a> = (&'a str, &'a str, Option<&'a str>, &'a [u8]);

/// A `multipart/form-data` body of text fields and file parts, as browsers and `requests` send.
fn multipart(fields: &[(&str, &str)], files: &[FilePart<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, file_name, content_type, content) in files {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n")
                .as_bytes(),
        );
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_multipart(server: &TestServer, action: &str, body: &[u8], token: Option<&str>) -> Reply {
    let headers: Vec<(&str, &str)> = token.map(|t| vec![("Authorization", t)]).unwrap_or_default();
    server.post_raw(
        &format!("/api/3/action/{action}"),
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        body,
        &headers,
    )
}

/// An action called with text fields and one file part named `upload`.
fn upload(
    w: &World,
    action: &str,
    fields: &[(&str, &str)],
    file_name: &str,
    content: &[u8],
    persona: Persona,
) -> Reply {
    let body = multipart(fields, &[("upload", file_name, Some("text/plain"), content)]);
    post_multipart(&w.server, action, &body, w.token(persona))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file (not directory) under the file store's directory.
fn stored_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A download by absolute URL: status, headers and the raw body; redirects are not followed.
struct Download {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn fetch(method: &str, url: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Download {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    if let Some(token) = token {
        builder = builder.header("Authorization", token);
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut response = agent.run(builder.body(()).unwrap()).unwrap();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let status = response.status().as_u16();
    let body = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_vec().unwrap();
    Download { status, headers, body }
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

const CSV: &[u8] = b"a,b\n1,2\n3,4\n";

#[test]
fn an_upload_on_create_describes_the_resource_and_downloads_back() {
    let w = World::new();
    let dataset = w.dataset("uploads", false, json!([]));
    let package_id = id_of(&dataset);
    let reply = upload(
        &w,
        "resource_create",
        &[("package_id", "uploads"), ("name", "The data"), ("format", "CSV")],
        "My Data File.CSV",
        CSV,
        Persona::Editor,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    let resource = reply.result();
    let id = id_of(&resource);
    let url = format!("{}/dataset/{package_id}/resource/{id}/download/my-data-file.csv", w.server.base);
    assert_eq!(resource["url"], url.as_str());
    assert_eq!(resource["url_type"], "upload");
    assert_eq!(resource["size"], CSV.len());
    assert_eq!(resource["mimetype"], "text/csv");
    assert_eq!(resource["hash"], sha256_hex(CSV).as_str());
    assert_eq!(resource["name"], "The data");
    assert_eq!(resource["format"], "CSV");
    assert!(resource["last_modified"].as_str().is_some_and(|t| t.len() >= 19), "{resource}");
    assert!(resource.get("upload").is_none() && resource.get("clear_upload").is_none());
    // The same dict everywhere (but for what loading the CSV into the DataStore, which the
    // upload started in the background, may have changed by now).
    let settled = |mut r: serde_json::Value| {
        for key in ["datastore_active", "metadata_modified"] {
            r.as_object_mut().unwrap().remove(key);
        }
        r
    };
    let shown = w.call("resource_show", json!({"id": id}), Persona::Anonymous).result();
    assert_eq!(settled(shown), settled(resource.clone()));
    assert_eq!(settled(w.show(&package_id)["resources"][0].clone()), settled(resource.clone()));
    // One object, under the resource's key.
    let files = stored_files(w.server.files_dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let relative = files[0].strip_prefix(w.server.files_dir.path()).unwrap().to_string_lossy().into_owned();
    assert!(
        relative.starts_with(&format!("resources/{}/{}/{}/", &id[..3], &id[3..6], &id[6..])),
        "{relative}"
    );

    let got = fetch("GET", &url, None, &[]);
    assert_eq!(got.status, 200);
    assert_eq!(got.body, CSV);
    assert_eq!(got.header("content-type"), Some("text/csv"));
    assert_eq!(got.header("content-length"), Some(CSV.len().to_string().as_str()));
    assert_eq!(got.header("etag"), Some(format!("\"{}\"", sha256_hex(CSV)).as_str()));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    assert!(got.header("last-modified").is_some_and(|m| m.ends_with("GMT")));
    assert_eq!(got.header("content-disposition"), Some("inline; filename=\"my-data-file.csv\""));
    // Without the file name, under another file name, and under a dataset type: the same file.
    for path in [
        format!("/dataset/{package_id}/resource/{id}/download"),
        format!("/dataset/uploads/resource/{id}/download/anything.bin"),
        format!("/dataset-type/{package_id}/resource/{id}/download/x"),
    ] {
        let got = fetch("GET", &w.server.url(&path), None, &[]);
        assert_eq!((got.status, got.body.as_slice()), (200, CSV), "{path}");
    }
    let head = fetch("HEAD", &url, None, &[]);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some(CSV.len().to_string().as_str()));
    assert!(head.body.is_empty());
}

#[test]
fn validators_and_ranges_are_honoured() {
    let w = World::new();
    w.dataset("ranges", false, json!([]));
    let content: Vec<u8> = (0..100u8).map(|i| b'0' + i % 10).collect();
    let resource =
        upload(&w, "resource_create", &[("package_id", "ranges")], "numbers.txt", &content, Persona::Editor)
            .result();
    let url = resource["url"].as_str().unwrap().to_owned();
    assert_eq!(resource["mimetype"], "text/plain");
    let etag = format!("\"{}\"", sha256_hex(&content));

    let not_modified = fetch("GET", &url, None, &[("If-None-Match", &etag)]);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    assert_eq!(fetch("GET", &url, None, &[("If-None-Match", "\"other\"")]).status, 200);

    let cases: [(&str, &[u8], &str); 4] = [
        ("bytes=0-4", &content[..5], "bytes 0-4/100"),
        ("bytes=-3", &content[97..], "bytes 97-99/100"),
        ("bytes=95-", &content[95..], "bytes 95-99/100"),
        ("bytes=90-200", &content[90..], "bytes 90-99/100"),
    ];
    for (range, expected, content_range) in cases {
        let got = fetch("GET", &url, None, &[("Range", range)]);
        assert_eq!(got.status, 206, "{range}");
        assert_eq!(got.body, expected, "{range}");
        assert_eq!(got.header("content-range"), Some(content_range), "{range}");
        assert_eq!(got.header("content-length"), Some(expected.len().to_string().as_str()));
    }
    let unsatisfiable = fetch("GET", &url, None, &[("Range", "bytes=100-")]);
    assert_eq!(unsatisfiable.status, 416);
    assert_eq!(unsatisfiable.header("content-range"), Some("bytes */100"));
    // Several ranges, or a stale If-Range: the whole file.
    let whole = fetch("GET", &url, None, &[("Range", "bytes=0-1,5-6")]);
    assert_eq!((whole.status, whole.body.len()), (200, 100));
    let stale = fetch("GET", &url, None, &[("Range", "bytes=0-1"), ("If-Range", "\"old\"")]);
    assert_eq!((stale.status, stale.body.len()), (200, 100));
}

#[test]
fn update_and_patch_replace_the_file_and_remove_the_old_one_after() {
    let w = World::new();
    let package_id = id_of(&w.dataset("replaced", false, json!([])));
    let first =
        upload(&w, "resource_create", &[("package_id", "replaced")], "one.csv", b"1\n", Persona::Editor)
            .result();
    let id = id_of(&first);
    let before = stored_files(w.server.files_dir.path());
    assert_eq!(before.len(), 1);

    // resource_patch with a new file: other fields kept, the file and its description new.
    let patched = upload(&w, "resource_patch", &[("id", &id)], "Two.JSON", b"{\"two\": 2}", Persona::Editor);
    assert_eq!(patched.status, 200, "{}", patched.text);
    let patched = patched.result();
    assert_eq!(
        patched["url"],
        format!("{}/dataset/{package_id}/resource/{id}/download/two.json", w.server.base)
    );
    assert_eq!(patched["size"], 10);
    assert_eq!(patched["mimetype"], "application/json");
    assert_eq!(patched["hash"], sha256_hex(b"{\"two\": 2}").as_str());
    assert_eq!(patched["created"], first["created"]);
    let after = stored_files(w.server.files_dir.path());
    assert_eq!(after.len(), 1, "the old file is removed: {after:?}");
    assert_ne!(after, before);
    assert_eq!(fetch("GET", patched["url"].as_str().unwrap(), None, &[]).body, b"{\"two\": 2}");

    // The same file name again (resource_update): a new object replaces the old one.
    let updated = upload(
        &w,
        "resource_update",
        &[("id", &id), ("name", "three")],
        "two.json",
        b"[3]",
        Persona::OrgAdmin,
    );
    assert_eq!(updated.status, 200, "{}", updated.text);
    let updated = updated.result();
    assert_eq!(updated["name"], "three");
    assert_eq!(updated["size"], 3);
    let last = stored_files(w.server.files_dir.path());
    assert_eq!(last.len(), 1, "{last:?}");
    assert_ne!(last, after);
    assert_eq!(fetch("GET", updated["url"].as_str().unwrap(), None, &[]).body, b"[3]");

    // Sizes and types given with the upload are kept.
    let given = upload(
        &w,
        "resource_patch",
        &[("id", &id), ("mimetype", "text/x-custom"), ("hash", "md5:abc")],
        "four.csv",
        b"4",
        Persona::Editor,
    )
    .result();
    assert_eq!(
        (given["mimetype"].as_str(), given["hash"].as_str()),
        (Some("text/x-custom"), Some("md5:abc"))
    );
    let got = fetch("GET", given["url"].as_str().unwrap(), None, &[]);
    assert_eq!(got.header("content-type"), Some("text/x-custom"));
}

#[test]
fn clear_upload_or_a_new_link_drops_the_file() {
    let w = World::new();
    w.dataset("cleared", false, json!([]));
    let make = || {
        id_of(
            &upload(&w, "resource_create", &[("package_id", "cleared")], "f.csv", CSV, Persona::Editor)
                .result(),
        )
    };
    let first = make();
    let cleared = w
        .call(
            "resource_patch",
            json!({"id": first, "clear_upload": "true", "url": "http://example.org/f.csv"}),
            Persona::Editor,
        )
        .result();
    assert_eq!(cleared["url_type"], "");
    assert_eq!(cleared["url"], "http://example.org/f.csv");
    assert!(cleared.get("clear_upload").is_none());
    assert!(stored_files(w.server.files_dir.path()).is_empty());

    let second = make();
    let linked = w
        .call("resource_patch", json!({"id": second, "url": "http://example.org/other.csv"}), Persona::Editor)
        .result();
    assert_eq!(linked["url_type"], Value::Null);
    assert_eq!(linked["url"], "http://example.org/other.csv");
    assert!(stored_files(w.server.files_dir.path()).is_empty());
    let package_id = linked["package_id"].as_str().unwrap();
    let redirect =
        fetch("GET", &w.server.url(&format!("/dataset/{package_id}/resource/{second}/download")), None, &[]);
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.header("location"), Some("http://example.org/other.csv"));

    // resource_update without url_type: no longer an upload either.
    let third = make();
    let updated = w
        .call("resource_update", json!({"id": third, "url": "http://example.org/u.csv"}), Persona::Editor)
        .result();
    assert_eq!(updated["url_type"], Value::Null);
    assert!(stored_files(w.server.files_dir.path()).is_empty());
}

#[test]
fn private_downloads_follow_the_read_permission() {
    let w = World::new();
    let package_id = id_of(&w.dataset("secret", true, json!([])));
    w.collaborate(&package_id, "member");
    let resource =
        upload(&w, "resource_create", &[("package_id", "secret")], "s.csv", CSV, Persona::Editor).result();
    let url = resource["url"].as_str().unwrap().to_owned();
    for persona in EVERYONE {
        let got = fetch("GET", &url, w.token(persona), &[]);
        match persona {
            Persona::Anonymous | Persona::Revoked | Persona::Outsider => {
                assert_eq!(got.status, 403, "{persona:?}");
                assert_eq!(got.body, b"\"Not authorized to download resource\"", "{persona:?}");
            }
            _ => assert_eq!((got.status, got.body.as_slice()), (200, CSV), "{persona:?}"),
        }
    }
    // Unknown resource, or a resource with an unknown dataset in the path.
    let id = id_of(&resource);
    let unknown =
        fetch("GET", &w.server.url(&format!("/dataset/{package_id}/resource/nope/download")), None, &[]);
    assert_eq!((unknown.status, unknown.body.as_slice()), (404, b"\"Resource not found\"".as_slice()));
    let wrong = w.server.url(&format!("/dataset/no-such-dataset/resource/{id}/download"));
    assert_eq!(fetch("GET", &wrong, w.token(Persona::Sysadmin), &[]).status, 404);
}

#[test]
fn deleted_datasets_and_resources_are_not_downloaded() {
    let w = World::new();
    w.dataset("gone", false, json!([]));
    let kept =
        upload(&w, "resource_create", &[("package_id", "gone")], "k.csv", CSV, Persona::Editor).result();
    let removed =
        upload(&w, "resource_create", &[("package_id", "gone")], "r.csv", CSV, Persona::Editor).result();
    assert_eq!(stored_files(w.server.files_dir.path()).len(), 2);

    w.call("resource_delete", json!({"id": removed["id"]}), Persona::Editor).result();
    assert_eq!(stored_files(w.server.files_dir.path()).len(), 1, "resource_delete removes its file");
    let got = fetch("GET", removed["url"].as_str().unwrap(), w.token(Persona::Sysadmin), &[]);
    assert_eq!(got.status, 404);

    w.call("package_delete", json!({"id": "gone"}), Persona::Editor).result();
    let url = kept["url"].as_str().unwrap();
    for persona in EVERYONE {
        let status = fetch("GET", url, w.token(persona), &[]).status;
        let shown = w.call("resource_show", json!({"id": kept["id"]}), persona).status;
        assert_eq!(status, shown, "{persona:?}: as resource_show");
        if matches!(persona, Persona::Anonymous | Persona::Outsider) {
            assert!(matches!(status, 403 | 404), "{persona:?}: {status}");
        }
    }
    // The file stays until the dataset is purged (it can still be undeleted).
    assert_eq!(fetch("GET", url, w.token(Persona::Sysadmin), &[]).status, 200);
    assert_eq!(stored_files(w.server.files_dir.path()).len(), 1);
    w.call("dataset_purge", json!({"id": "gone"}), Persona::Sysadmin).result();
    assert!(stored_files(w.server.files_dir.path()).is_empty());
}

#[test]
fn an_upload_over_the_limit_is_refused_and_leaves_nothing() {
    let server = TestServer::start_with(Options { max_resource_bytes: 1024 * 1024, ..Options::default() });
    let (_, token) = server.user_with_token("admin", true);
    server.org("org", &[]);
    server.action("package_create", json!({"name": "limited", "owner_org": "org"}), Some(&token)).result();
    let too_big = vec![b'x'; 1024 * 1024 + 1];
    let body = multipart(&[("package_id", "limited")], &[("upload", "big.bin", None, &too_big)]);
    let reply = post_multipart(&server, "resource_create", &body, Some(&token));
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(reply.error(), json!({"__type": "Validation Error", "upload": ["File upload too large"]}));
    assert!(stored_files(server.files_dir.path()).is_empty());
    let shown = server.action("package_show", json!({"id": "limited"}), Some(&token)).result();
    assert_eq!(shown["resources"], json!([]));

    // Exactly the limit is accepted.
    let just = vec![b'y'; 1024 * 1024];
    let body = multipart(&[("package_id", "limited")], &[("upload", "just.bin", None, &just)]);
    let reply = post_multipart(&server, "resource_create", &body, Some(&token));
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.result()["mimetype"], Value::Null);
    assert_eq!(stored_files(server.files_dir.path()).len(), 1);
}

#[test]
fn a_failed_action_leaves_no_file() {
    let w = World::new();
    w.dataset("guarded", false, json!([]));
    let unknown = upload(&w, "resource_create", &[("package_id", "no-such")], "a.csv", CSV, Persona::Editor);
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    for persona in [Persona::Anonymous, Persona::Member, Persona::Outsider] {
        let denied = upload(&w, "resource_create", &[("package_id", "guarded")], "a.csv", CSV, persona);
        assert_eq!(denied.status, 403, "{persona:?}: {}", denied.text);
    }
    let invalid = upload(
        &w,
        "resource_create",
        &[("package_id", "guarded"), ("id", "bad id with spaces and far too long to be anything")],
        "a.csv",
        CSV,
        Persona::Editor,
    );
    let missing = upload(&w, "resource_patch", &[("id", "no-such-resource")], "a.csv", CSV, Persona::Editor);
    assert_eq!(missing.status, 404, "{}", missing.text);
    // Whatever the invalid id did, nothing is stored beside what a success stored.
    let expected = usize::from(invalid.status == 200);
    assert_eq!(stored_files(w.server.files_dir.path()).len(), expected, "{}", invalid.text);
    assert!(w.show("guarded")["resources"].as_array().unwrap().len() == expected);

    // A file sent to an action that takes none is dropped.
    let body = multipart(&[("name", "plain")], &[("upload", "a.csv", None, CSV)]);
    let headers = [("Authorization", w.token(Persona::Editor).unwrap())];
    let reply = w.server.post_raw(
        "/api/3/action/organization_list_for_user",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        &body,
        &headers,
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(stored_files(w.server.files_dir.path()).len(), expected);
}

#[test]
fn multipart_bodies_are_decoded_as_ckan_does() {
    let w = World::new();
    w.dataset("forms", false, json!([]));
    // Text parts only: the form's fields.
    let body = multipart(&[("package_id", "forms"), ("url", "http://example.org/x.csv"), ("name", "x")], &[]);
    let made = post_multipart(&w.server, "resource_create", &body, w.token(Persona::Editor)).result();
    assert_eq!((made["name"].as_str(), made["url_type"].clone()), (Some("x"), Value::Null));
    // An `upload` part without a file name is a text field, and ignored; one with an empty file
    // name is an empty file input: no upload.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"package_id\"\r\n\r\nforms\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"\r\n\r\nnot a file\r\n--{BOUNDARY}--\r\n"
    );
    let made =
        post_multipart(&w.server, "resource_create", body.as_bytes(), w.token(Persona::Editor)).result();
    assert_eq!(made["url_type"], Value::Null);
    assert!(made.get("upload").is_none());
    let body =
        multipart(&[("package_id", "forms")], &[("upload", "", Some("application/octet-stream"), b"")]);
    let made = post_multipart(&w.server, "resource_create", &body, w.token(Persona::Editor)).result();
    assert_eq!(made["url_type"], Value::Null);
    assert!(stored_files(w.server.files_dir.path()).is_empty());

    // Malformed bodies are 400s with a bare string, never 500s.
    let headers = [("Authorization", w.token(Persona::Editor).unwrap())];
    for (content_type, body) in [
        ("multipart/form-data", b"--x\r\n".as_slice()),
        ("multipart/form-data; boundary=zzz", b"garbage without boundaries".as_slice()),
        ("multipart/form-data; boundary=zzz", b"--zzz\r\nno-header-end".as_slice()),
        (
            "multipart/form-data; boundary=zzz",
            b"--zzz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--zzz--\r\n".as_slice(),
        ),
    ] {
        let reply = w.server.post_raw("/api/3/action/resource_create", content_type, body, &headers);
        assert_eq!(reply.status, 400, "{content_type} {}", reply.text);
        assert!(reply.json().is_string(), "{}", reply.text);
    }
    assert!(stored_files(w.server.files_dir.path()).is_empty());
}

#[test]
fn link_resources_redirect_to_their_url() {
    let w = World::new();
    let dataset = w.dataset("links", false, json!([{"url": "http://example.org/data.csv"}, {"url": ""}]));
    let package_id = id_of(&dataset);
    let link = id_of(&dataset["resources"][0]);
    let got = fetch(
        "GET",
        &w.server.url(&format!("/dataset/{package_id}/resource/{link}/download/data.csv")),
        None,
        &[],
    );
    assert_eq!(got.status, 302);
    assert_eq!(got.header("location"), Some("http://example.org/data.csv"));
    // An upload harvested from another portal (no file here): its URL, shown as sent.
    let harvested = w
        .call(
            "resource_create",
            json!({"package_id": package_id, "url_type": "upload",
                   "url": "https://other.example.org/dataset/x/resource/y/download/h.csv"}),
            Persona::Editor,
        )
        .result();
    assert_eq!(harvested["url"], "https://other.example.org/dataset/x/resource/y/download/h.csv");
    let got = fetch(
        "GET",
        &w.server.url(&format!("/dataset/{package_id}/resource/{}/download", id_of(&harvested))),
        None,
        &[],
    );
    assert_eq!((got.status, got.header("location")), (302, harvested["url"].as_str()));
    let empty = id_of(&dataset["resources"][1]);
    let got =
        fetch("GET", &w.server.url(&format!("/dataset/{package_id}/resource/{empty}/download")), None, &[]);
    assert_eq!(got.status, 404);
}

#[test]
fn a_large_upload_streams_through() {
    let server =
        TestServer::start_with(Options { max_resource_bytes: 30 * 1024 * 1024, ..Options::default() });
    let (_, token) = server.user_with_token("admin", true);
    server.org("org", &[]);
    server.action("package_create", json!({"name": "large", "owner_org": "org"}), Some(&token)).result();
    let content: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let body = multipart(&[("package_id", "large")], &[("upload", "large.bin", None, &content)]);
    let reply = post_multipart(&server, "resource_create", &body, Some(&token));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let resource = reply.result();
    assert_eq!(resource["size"], content.len());
    assert_eq!(resource["hash"], sha256_hex(&content).as_str());
    let got = fetch("GET", resource["url"].as_str().unwrap(), None, &[]);
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert_eq!(got.body.len(), content.len());
    assert!(got.body == content);
}

#[test]
fn package_revise_stores_a_file_for_the_resource_it_names() {
    let w = World::new();
    let dataset = w.dataset("revised", false, json!([{"url": "http://example.org/a.csv", "name": "a"}]));
    let package_id = id_of(&dataset);
    let first = id_of(&dataset["resources"][0]);
    let body = multipart(
        &[("match__name", "revised"), ("update__resources__extend", r#"[{"name": "added"}]"#)],
        &[("update__resources__-1__upload", "Added File.csv", Some("text/csv"), CSV)],
    );
    let reply = post_multipart(&w.server, "package_revise", &body, w.token(Persona::Editor));
    assert_eq!(reply.status, 200, "{}", reply.text);
    let resources = reply.result()["package"]["resources"].clone();
    assert_eq!(resources[0]["url"], "http://example.org/a.csv");
    let added = &resources[1];
    let id = id_of(added);
    assert_eq!(added["name"], "added");
    assert_eq!(added["url_type"], "upload");
    assert_eq!(
        added["url"],
        format!("{}/dataset/{package_id}/resource/{id}/download/added-file.csv", w.server.base)
    );
    assert_eq!(added["size"], CSV.len());
    assert!(added.get("upload").is_none());
    assert_eq!(fetch("GET", added["url"].as_str().unwrap(), None, &[]).body, CSV);
    assert_eq!(stored_files(w.server.files_dir.path()).len(), 1);

    // A file for an existing resource, by id prefix: it becomes an upload.
    let prefix = &first[..8];
    let key = format!("update__resources__{prefix}__upload");
    let body = multipart(&[("match__name", "revised")], &[(key.as_str(), "b.json", None, b"[]")]);
    let revised = post_multipart(&w.server, "package_revise", &body, w.token(Persona::Editor)).result();
    let changed = &revised["package"]["resources"][0];
    assert_eq!((changed["url_type"].as_str(), changed["size"].as_u64()), (Some("upload"), Some(2)));
    assert_eq!(stored_files(w.server.files_dir.path()).len(), 2);

    // package_update without the resources removes their files; `upload` keys sent in JSON are
    // instructions, never stored.
    let updated = w
        .call(
            "package_update",
            json!({"id": package_id, "name": "revised", "owner_org": "org",
                   "resources": [{"url": "http://example.org/c.csv", "upload": "c.csv", "clear_upload": "true"}]}),
            Persona::Editor,
        )
        .result();
    let only = &updated["resources"][0];
    assert!(only.get("upload").is_none() && only.get("clear_upload").is_none(), "{only}");
    assert_eq!(only["url_type"], "");
    assert!(stored_files(w.server.files_dir.path()).is_empty());
}
