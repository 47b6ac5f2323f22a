"""Synthetic news text: templated sentences filled with Faker names, places, organisations,
numbers, dates and durations, grouped into articles of ~30 sentences.

Not the evaluation gold files nor the demo articles: every sentence is generated here, from a
seed, so a run is reproducible. Retrieval is not trivial: many sentences share a template and
differ only in who, where, how many or when, which is exactly what the matcher must tell apart.
`variant()` re-draws one or two slots of a sentence: its text stays close to the original, the
textual counterpart of a perturbed embedding (see benchmarks.fill).
"""

from __future__ import annotations

import datetime as dt
import html
import random
import re
from dataclasses import dataclass, field

from faker import Faker

# Pool sizes drawn once per run from Faker: large enough that names rarely repeat by chance.
PEOPLE, ORGS, CITIES = 3000, 1200, 1500
SENTENCES_PER_ARTICLE = (20, 40)  # uniform: ~30 passages per article, as in real news
SENTENCES_PER_PARAGRAPH = (2, 5)

TEMPLATES = [
    "{person}, the {role} of {org}, said on {weekday} that {topic} would cost {money}.",
    "Officials in {city} confirmed that {count} people were evacuated after {event} on {date}.",
    "{org} said its {product} sales rose {pct} in the {quarter}, beating analysts' forecasts.",
    "{country} has sent {aid} aid to {country#2}, according to {org}.",
    "The battle for {city} lasted {duration}, {person} told reporters.",
    "Police arrested {count} people during protests in {city} over {topic}.",
    "{person} denied that {org} had known about {topic} before {month} {year}.",
    "The {role} of {org} resigned on {weekday} amid questions about {topic}.",
    "Unemployment in {country} fell to {pct} in {month}, the lowest level since {year}.",
    "{org} will cut {count} jobs over the next {duration}, {person} said in a statement.",
    "At least {count} people were killed when {event} struck {city} on {date}.",
    "{person} said {country} would not accept {topic} 'under any circumstances'.",
    "The court in {city} sentenced {person} to {duration} in prison for {crime}.",
    "Inflation in {country} reached {pct} in {month}, driven by {driver}.",
    "{org} agreed to pay {money} to settle claims over {topic}.",
    "The government of {country} announced a {money} plan to rebuild {infrastructure}.",
    "Residents of {city} have been without {utility} for {duration} since {event}.",
    "{person}, who leads {org}, warned that {topic} could last {duration}.",
    "A spokesperson for {org} said the company had 'no plans' to leave {country}.",
    "{country} and {country#2} signed an agreement on {topic} in {city} on {date}.",
    "The {infrastructure} in {city} was closed for {duration} after {event}.",
    "Voters in {city} rejected the proposal on {topic} by {pct} to {pct#2}.",
    "{person} won the election in {city} with {pct} of the vote.",
    "Shares of {org} fell {pct} after the company reported a loss of {money}.",
    "Scientists at {org} said {topic} had increased by {pct} since {year}.",
    "{count} soldiers from {country} were deployed to {city} in {month}.",
    "The {role} of {country} met {person} in {city} to discuss {topic}.",
    "{org} was fined {money} by regulators in {country} for {crime}.",
    "Traffic through {infrastructure} in {city} dropped {pct} during {event}.",
    "{person} told {org} that the talks on {topic} had 'stalled' since {month}.",
    "More than {count} families in {city} applied for {aid} aid in the first {duration}.",
    "The strike at {org} ended after {duration} when workers accepted a {pct} raise.",
    "{country} imported {money} worth of {product} from {country#2} last year.",
    "{person} said the {infrastructure} would reopen by {month} {year}.",
    "Critics accused {org} of ignoring warnings about {topic} for {duration}.",
    "The death toll from {event} in {city} rose to {count} on {weekday}.",
    "According to {org}, {count} people have left {city} since {month}.",
    "{person} was appointed {role} of {org} on {date}, replacing {person#2}.",
    "The price of {product} in {country} has doubled in {duration}, {org} said.",
    "{org} opened an investigation into {crime} at {org#2} in {month} {year}.",
    "Local media in {city} reported that {count} homes were damaged by {event}.",
    "{country}'s parliament voted {count} to {count#2} to approve {topic}.",
    "{person} called the report on {topic} 'deeply misleading' in an interview on {weekday}.",
    "Exports of {product} from {country} grew {pct} in the {quarter}.",
    "{org} said it had not received any {aid} aid from {country} since {year}.",
    "Firefighters in {city} spent {duration} bringing {event} under control.",
    "The {role} said {country} spends {pct} of its budget on {sector}.",
    "{person} claimed that {count} people attended the rally in {city}.",
]
HEADLINES = [
    "{city} counts the cost of {event}",
    "{org} under pressure over {topic}",
    "{person} defends record on {topic}",
    "{country} and {country#2} reach deal on {topic}",
    "What {event} means for {city}",
    "{org} to cut {count} jobs",
    "Inflation in {country} hits {pct}",
    "Inside the fight over {topic} in {city}",
]
ROLES = [
    "chief executive", "spokesperson", "finance minister", "mayor", "foreign minister",
    "defence minister", "president", "director", "chairman", "health minister",
    "chief economist", "governor", "prosecutor", "head of research", "police chief",
]  # fmt: skip
TOPICS = [
    "the bridge repair budget", "the vaccine rollout", "the port expansion", "the pension reform",
    "the new tax on fuel", "the ceasefire proposal", "the water shortage", "the rail strike",
    "the housing crisis", "the data breach", "the grain export deal", "the border closure",
    "the nuclear plant inspection", "the election recount", "the hospital closures",
    "the minimum wage increase", "the fishing quota dispute", "the school funding cuts",
    "the airport runway plan", "the emissions target", "the arms shipment", "the bank rescue",
    "the refugee quota", "the mining licence", "the drought relief fund", "the metro extension",
    "the privacy law", "the sanctions package", "the corruption inquiry", "the flood defences",
    "the gas pipeline", "the teachers' pay dispute", "the chip factory subsidy",
    "the coastal erosion", "the stadium contract", "the prison overcrowding",
]  # fmt: skip
EVENTS = [
    "the flooding", "the earthquake", "the storm", "the wildfire", "the explosion",
    "the landslide", "the heatwave", "the power outage", "the cyberattack", "the derailment",
    "the factory fire", "the missile strike", "the cyclone", "the dam failure", "the blizzard",
]  # fmt: skip
AID = ["nonlethal", "humanitarian", "military", "food", "medical", "financial", "emergency"]
PRODUCTS = [
    "steel", "grain", "natural gas", "electric car", "smartphone", "coffee", "fertiliser",
    "copper", "solar panel", "medicine", "timber", "rice", "cement", "battery",
]  # fmt: skip
INFRASTRUCTURE = [
    "bridge", "main highway", "port", "airport", "rail line", "power station", "tunnel",
    "water treatment plant", "central hospital", "border crossing",
]  # fmt: skip
UTILITIES = ["electricity", "running water", "heating", "mobile phone service", "gas"]
CRIMES = [
    "fraud", "bribery", "money laundering", "tax evasion", "insider trading", "embezzlement",
    "price fixing", "illegal logging", "espionage", "arson",
]  # fmt: skip
DRIVERS = ["energy prices", "food prices", "rents", "a weaker currency", "wage growth"]
SECTORS = ["defence", "health care", "education", "pensions", "public transport", "policing"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
QUARTERS = ["first quarter", "second quarter", "third quarter", "fourth quarter"]
SMALL = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
]  # fmt: skip
UNITS = ["days", "weeks", "months", "years", "hours"]
OUTLETS = [
    "The Daily Ledger", "Morning Courier", "Evening Standard Post", "Global Wire",
    "Continental Times", "Harbour Gazette", "The Northern Echo Online", "Capital Radio News",
    "Metro Herald", "The Observer Weekly", "National Broadcaster", "Valley Tribune",
    "Coastal Chronicle", "The Independent Monitor", "Frontier Report", "Citizen Journal",
    "Union Press Agency", "Eastern Dispatch", "The Civic Review", "Pacific Bulletin",
]  # fmt: skip

_SLOT = re.compile(r"\{(\w+?)(?:#\d)?\}")


@dataclass(frozen=True)
class Sentence:
    """A template and the values of its slots; `text` is rendered once."""

    template: int
    values: tuple[str, ...]
    text: str


@dataclass
class SyntheticArticle:
    title: str
    outlet: str
    byline: str
    published_at: dt.datetime
    paragraphs: list[list[Sentence]]
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(" ".join(s.text for s in p) for p in self.paragraphs)

    def html(self) -> bytes:
        """A news page with navigation and footer boilerplate, for the extraction step."""
        body = "\n".join(
            f"<p>{html.escape(' '.join(s.text for s in p))}</p>" for p in self.paragraphs
        )
        page = (
            "<!DOCTYPE html><html><head>"
            f"<title>{html.escape(self.title)} | {html.escape(self.outlet)}</title>"
            f'<meta name="author" content="{html.escape(self.byline)}">'
            f'<meta property="article:published_time" content="{self.published_at.isoformat()}">'
            "</head><body>"
            "<nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/business'>Business</a>"
            " <a href='/opinion'>Opinion</a></nav>"
            f"<article><h1>{html.escape(self.title)}</h1>"
            f"<p class='byline'>By {html.escape(self.byline)}</p>{body}</article>"
            "<footer><p>Sign up for our newsletter.</p>"
            f"<p>© {self.published_at.year} {html.escape(self.outlet)}. All rights reserved.</p>"
            "</footer></body></html>"
        )
        return page.encode("utf-8")


class NewsWriter:
    """Deterministic generator of news sentences and articles (seeded)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.pools: dict[str, list[str]] = {
            "person": _unique(fake.name, PEOPLE),
            "org": _unique(fake.company, ORGS // 2) + _institutions(fake, ORGS // 2),
            "city": _unique(fake.city, CITIES),
            "country": sorted({c for c in (fake.country() for _ in range(2000)) if len(c) < 25}),
            "role": ROLES,
            "topic": TOPICS,
            "event": EVENTS,
            "aid": AID,
            "product": PRODUCTS,
            "infrastructure": INFRASTRUCTURE,
            "utility": UTILITIES,
            "crime": CRIMES,
            "driver": DRIVERS,
            "sector": SECTORS,
            "weekday": WEEKDAYS,
            "month": MONTHS,
            "quarter": QUARTERS,
        }
        self._slots = [[m.group(1) for m in _SLOT.finditer(t)] for t in TEMPLATES]

    # --- sentences ---------------------------------------------------------------------

    def _draw(self, kind: str, focus: dict[str, list[str]] | None = None) -> str:
        rng = self.rng
        if focus and kind in focus and rng.random() < 0.6:
            return rng.choice(focus[kind])
        if kind in self.pools:
            return rng.choice(self.pools[kind])
        return self._number(kind)

    def _number(self, kind: str) -> str:
        rng = self.rng
        if kind == "count":
            n = int(10 ** rng.uniform(0.5, 4.5))
            return SMALL[n] if n <= 20 and rng.random() < 0.5 else f"{n:,}"
        if kind == "pct":
            value = round(rng.uniform(0.5, 60), 1)
            return f"{value}%" if rng.random() < 0.5 else f"{value} percent"
        if kind == "money":
            amount = round(rng.uniform(1.2, 950), 1)
            scale = rng.choice(["million", "billion"])
            return f"${amount} {scale}" if rng.random() < 0.7 else f"{amount} {scale} euros"
        if kind == "duration":
            n = rng.randint(2, 30)
            unit = rng.choice(UNITS)
            return f"{SMALL[n] if n <= 20 and rng.random() < 0.5 else n} {unit}"
        if kind == "date":
            return f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
        if kind == "year":
            return str(rng.randint(1995, 2026))
        raise KeyError(kind)

    def _render(self, template: int, values: tuple[str, ...]) -> str:
        it = iter(values)
        text = _SLOT.sub(lambda _m: next(it), TEMPLATES[template])
        return text[0].upper() + text[1:]

    def sentence(self, focus: dict[str, list[str]] | None = None) -> Sentence:
        template = self.rng.randrange(len(TEMPLATES))
        values = tuple(self._draw(kind, focus) for kind in self._slots[template])
        return Sentence(template, values, self._render(template, values))

    def variant(self, base: Sentence) -> Sentence:
        """The same sentence with one or two slots re-drawn (another name, number or place)."""
        kinds = self._slots[base.template]
        values = list(base.values)
        for i in self.rng.sample(range(len(kinds)), k=min(len(kinds), self.rng.choice((1, 2)))):
            values[i] = self._draw(kinds[i])
        return Sentence(base.template, tuple(values), self._render(base.template, tuple(values)))

    # --- articles ----------------------------------------------------------------------

    def _focus(self) -> dict[str, list[str]]:
        """The few people, places and organisations one story keeps coming back to."""
        rng = self.rng
        return {
            kind: rng.sample(self.pools[kind], k)
            for kind, k in (("person", 3), ("city", 2), ("org", 2), ("country", 2), ("topic", 2))
        }

    def article(
        self, sentences: list[Sentence] | None = None, words: int | None = None
    ) -> SyntheticArticle:
        """An article of ~30 sentences (new ones, or the `sentences` given), in paragraphs;
        with `words`, of new sentences until it has at least that many words."""
        rng = self.rng
        focus = self._focus()
        if sentences is None and words is not None:
            sentences, count = [], 0
            while count < words:
                sentences.append(self.sentence(focus))
                count += len(sentences[-1].text.split())
        elif sentences is None:
            count = rng.randint(*SENTENCES_PER_ARTICLE)
            sentences = [self.sentence(focus) for _ in range(count)]
        paragraphs: list[list[Sentence]] = []
        at = 0
        while at < len(sentences):
            size = rng.randint(*SENTENCES_PER_PARAGRAPH)
            paragraphs.append(sentences[at : at + size])
            at += size
        headline = rng.choice(HEADLINES)
        title = _SLOT.sub(lambda m: self._draw(m.group(1), focus), headline)
        published = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randint(0, 2 * 365 * 24 * 60)
        )
        return SyntheticArticle(
            title=title[0].upper() + title[1:],
            outlet=rng.choice(OUTLETS),
            byline=rng.choice(self.pools["person"]),
            published_at=published,
            paragraphs=paragraphs,
            sentences=list(sentences),
        )


def _unique(make: object, n: int) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(n * 3):
        seen[make()] = None  # type: ignore[operator]
        if len(seen) >= n:
            break
    return list(seen)


def _institutions(fake: Faker, n: int) -> list[str]:
    """Public bodies named after places: ministries, port authorities, councils, banks."""
    kinds = [
        "Ministry of {}", "{} Port Authority", "{} Police Department", "{} University",
        "{} Water Board", "{} Chamber of Commerce", "{} Regional Council", "Bank of {}",
    ]  # fmt: skip
    return _unique(lambda: fake.random_element(kinds).format(fake.city()), n)


def article_offsets(article: SyntheticArticle) -> list[tuple[int, int, str]]:
    """(start, end, text) of each sentence in `article.text`, as the passages are stored."""
    spans: list[tuple[int, int, str]] = []
    at = 0
    for p_index, paragraph in enumerate(article.paragraphs):
        if p_index:
            at += 2  # "\n\n"
        for s_index, sentence in enumerate(paragraph):
            if s_index:
                at += 1  # " "
            spans.append((at, at + len(sentence.text), sentence.text))
            at += len(sentence.text)
    return spans
