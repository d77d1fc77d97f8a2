"""Writes the DataStore benchmark's CSV: ROWS rows of 10 mixed columns (integers with negative
numbers, decimals, timestamps, dates, text with quoted commas, Danish letters), the same file on
every run (fixed seed).

    python3 bench/datastore_rows.py ROWS OUT.csv
"""
import random
import sys

STATIONS = [
    "Albanigade", "Vestergade", "Kongensgade", "Østre Stationsvej", "Nørregade", "Thomas B. Thriges Gade",
    "Kochsgade", "Rugårdsvej", "Hjallesevej", "Æblehaven", "Søndergade", "Nyborgvej", "Middelfartvej",
    "Munkebjergvej", "Skibhusvej", "Tarup Centret", "Bolbro", "Dalum", "Vollsmose", "Højstrup",
]
KINDS = ["bil", "cykel", "bus", "lastbil", "motorcykel", "knallert"]
WORDS = ["parkering", "trafik", "måling", "sensor", "luft", "støj", "partikler", "kø", "vejarbejde", "regn"]


def main() -> None:
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261204)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("id,station,kind,count,delta,speed,measured_at,day,lat,note\n")
        for i in range(1, rows + 1):
            station = STATIONS[rng.randrange(len(STATIONS))]
            kind = KINDS[rng.randrange(len(KINDS))]
            count = rng.randrange(0, 5000)
            delta = rng.randrange(-500, 500)
            speed = f"{rng.uniform(0, 130):.2f}"
            day = 1 + (i * 7) % 28
            month = 1 + (i // 1000) % 12
            hour, minute = rng.randrange(24), rng.randrange(60)
            lat = f"{55.3 + rng.random() / 10:.6f}"
            note = f"\"{WORDS[rng.randrange(len(WORDS))]}, {WORDS[rng.randrange(len(WORDS))]}\""
            f.write(
                f"{i},{station},{kind},{count},{delta},{speed},2025-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00,"
                f"2025-{month:02d}-{day:02d},{lat},{note}\n"
            )


if __name__ == "__main__":
    main()
