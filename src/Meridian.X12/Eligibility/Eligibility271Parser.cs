using Meridian.X12.Acknowledgments;

namespace Meridian.X12.Eligibility;

/// <summary>
/// Reads 271 Health Care Eligibility Benefit Responses (005010X279A1). The whole input is checked before anything is
/// returned: a malformed envelope, an HL tree that breaks the rules, a segment outside the loop the guide allows it in, a
/// bad date or amount, or an unknown EB01 throws <see cref="X12FormatException"/>; a TA1 or 999 where the 271 should be
/// throws <see cref="X12AcknowledgmentException"/>, which carries the acknowledgment.
/// </summary>
public static class Eligibility271Parser
{
    /// <summary>Reads a 271 that answers for exactly one patient (a real-time answer to one 270).</summary>
    public static EligibilityResponse Parse(string x12)
    {
        var all = ParseAll(x12);
        return all.Count == 1
            ? all[0]
            : throw new X12FormatException($"the 271 answers for {all.Count} patients where one was expected; read it with ParseAll");
    }

    /// <summary>Reads every patient answer: one per lowest HL level (a subscriber without dependents, or each dependent;
    /// a payer or receiver level rejected with AAA and no levels below it is an answer too).</summary>
    public static IReadOnlyList<EligibilityResponse> ParseAll(string x12)
    {
        var responses = new List<EligibilityResponse>();
        foreach (var interchange in X12Reader.ReadAll(x12))
        {
            var sets = interchange.TransactionSets.ToList();
            if (sets.Count == 0 || sets.Any(s => s.Id == "999"))
            {
                if (X12Acknowledgment.Read(interchange) is { Count: > 0 } acks)
                    throw new X12AcknowledgmentException("a 271 eligibility response", acks[0]);
                throw new X12FormatException($"interchange {interchange.ControlNumber} holds no transaction set (expected a 271)", interchange.Trailer);
            }
            foreach (var set in sets)
            {
                if (set.Id != "271")
                    throw new X12FormatException($"expected a 271 eligibility response but transaction set {set.ControlNumber} is a {set.Id}{Describe(set.Id)}", set.Header);
                responses.AddRange(ReadTransaction(interchange, set));
            }
        }
        return responses;
    }

    private static string Describe(string id) => id switch
    {
        "270" => " (an eligibility inquiry, not its answer)",
        "276" => " (claim status inquiry)",
        "277" => " (claim status response)",
        "835" => " (payment/remittance advice)",
        "837" => " (health care claim)",
        _ => "",
    };

    private static IEnumerable<EligibilityResponse> ReadTransaction(X12Interchange interchange, X12TransactionSet set)
    {
        // GS01 HB: eligibility response.
        var (bht, levels) = Hierarchy.ReadEligibility(set, "HB");
        if (bht[1] != "0022") throw new X12FormatException($"BHT01 must be 0022 (information source, receiver, subscriber, dependent), found \"{bht[1]}\"", bht);
        // BHT02 11 response, 06 confirmation (the 271's two purposes).
        if (bht[2] is not ("11" or "06")) throw new X12FormatException($"BHT02 must be 11 (response) or 06 (confirmation) in a 271, found \"{bht[2]}\"", bht);
        DateOnly? created = bht.Has(4) ? Elements.D8(bht, 4) : null;

        var parsed = new Dictionary<HlLevel, object>();
        foreach (var level in levels)
        {
            parsed[level] = level.Code switch
            {
                "20" => ReadSource(level),
                "21" => ReadReceiver(level),
                _ => ReadMember(level),
            };
        }

        foreach (var leaf in levels.Where(l => l.Children.Count == 0))
        {
            Source? source = null;
            Receiver? receiver = null;
            EligibilityMember? subscriber = null, dependent = null;
            for (var l = leaf; l is not null; l = l.Parent)
            {
                switch (parsed[l])
                {
                    case Source s: source = s; break;
                    case Receiver r: receiver = r; break;
                    case EligibilityMember m when l.Code == "22": subscriber = m; break;
                    case EligibilityMember m: dependent = m; break;
                }
            }
            var rejections = new List<EligibilityRejection>();
            rejections.AddRange(source?.Rejections ?? []);
            rejections.AddRange(receiver?.Rejections ?? []);
            foreach (var m in new[] { subscriber, dependent })
            {
                if (m is null) continue;
                rejections.AddRange(m.Rejections);
                rejections.AddRange(m.Benefits.SelectMany(b => b.Rejections));
            }
            yield return new EligibilityResponse(interchange.ControlNumber, set.ControlNumber, bht.Optional(3), created, interchange.IsTest,
                source?.Name, source?.Contacts ?? [], receiver?.Name, subscriber, dependent, rejections);
        }
    }

    private sealed record Source(EligibilityEntity Name, IReadOnlyList<EligibilityContact> Contacts, IReadOnlyList<EligibilityRejection> Rejections);

    private sealed record Receiver(EligibilityEntity Name, IReadOnlyList<EligibilityRejection> Rejections);

    private static Source ReadSource(HlLevel level)
    {
        EligibilityEntity? name = null;
        var contacts = new List<EligibilityContact>();
        var rejections = new List<EligibilityRejection>();
        foreach (var s in level.Segments)
        {
            switch (s.Id)
            {
                case "AAA":
                    // 271 2000A AAA (before the name) or 2100A AAA: the information source could not answer at all.
                    rejections.Add(Rejection(s, name is null ? "2000A" : "2100A"));
                    break;
                case "NM1" when name is null:
                    // 271 2100A NM101: the information source's role (PR payer, 2B third-party administrator, 36 employer, GP gateway, P5 plan sponsor).
                    if (s[1] is not ("PR" or "2B" or "36" or "GP" or "P5"))
                        throw new X12FormatException($"NM101 \"{s[1]}\" is not an information source entity (PR, 2B, 36, GP, P5)", s);
                    name = Entity(s, "2100A");
                    break;
                case "PER" when name is not null:
                    contacts.Add(Contact(s));
                    break;
                default:
                    throw NotAllowed(s, name is null ? "2000A" : "2100A");
            }
        }
        return new Source(name ?? throw Missing(level, "NM1 information source name (loop 2100A)"), contacts, rejections);
    }

    private static Receiver ReadReceiver(HlLevel level)
    {
        EligibilityEntity? name = null;
        var rejections = new List<EligibilityRejection>();
        foreach (var s in level.Segments)
        {
            switch (s.Id)
            {
                case "NM1" when name is null:
                    name = Entity(s, "2100B");
                    break;
                case "AAA" when name is not null:
                    // 271 2100B AAA: the information receiver (provider) is the problem, e.g. 43 invalid provider id.
                    rejections.Add(Rejection(s, "2100B"));
                    break;
                case "REF" or "N3" or "N4" or "PRV" when name is not null:
                    break; // receiver identifiers and address: the receiver knows its own
                default:
                    throw NotAllowed(s, name is null ? "2000B" : "2100B");
            }
        }
        return new Receiver(name ?? throw Missing(level, "NM1 information receiver name (loop 2100B)"), rejections);
    }

    private static EligibilityMember ReadMember(HlLevel level)
    {
        var dependent = level.Code == "23";
        var suffix = dependent ? "D" : "C";
        var traces = new List<EligibilityTrace>();
        var references = new List<EligibilityReference>();
        var dates = new List<EligibilityDate>();
        var rejections = new List<EligibilityRejection>();
        var benefits = new List<EligibilityBenefit>();
        EligibilityEntity? name = null;
        EligibilityAddress? address = null;
        DateOnly? birth = null;
        X12Gender? gender = null;
        string? relationship = null;
        BenefitBuilder? benefit = null;

        foreach (var s in level.Segments)
        {
            if (benefit is not null)
            {
                // 2110: everything up to the next EB (or the next HL) belongs to this benefit.
                if (s.Id == "EB")
                {
                    benefits.Add(benefit.Build());
                    benefit = new BenefitBuilder(s, "2110" + suffix);
                }
                else benefit.Add(s);
                continue;
            }
            switch (s.Id)
            {
                case "TRN" when name is null:
                    // 271 2000C/2000D TRN: TRN01 2 echoes the 270's trace, 1 is the information source's or a clearinghouse's own.
                    if (s[1] is not ("1" or "2")) throw new X12FormatException($"TRN01 must be 1 or 2, found \"{s[1]}\"", s);
                    if (!s.Has(2)) throw new X12FormatException("TRN02 (trace number) is missing", s);
                    traces.Add(new EligibilityTrace(s[1], s[2], s.Optional(3), s.Optional(4)));
                    break;
                case "NM1" when name is null:
                    if (s[1] != (dependent ? "03" : "IL"))
                        throw new X12FormatException($"NM101 must be {(dependent ? "03 (dependent)" : "IL (insured or subscriber)")} in loop 2100{suffix}, found \"{s[1]}\"", s);
                    name = Entity(s, "2100" + suffix);
                    break;
                case "REF" when name is not null:
                    references.Add(Reference(s));
                    break;
                case "N3" or "N4" when name is not null:
                    address = WithAddress(address, s);
                    break;
                case "AAA" when name is not null:
                    // 271 2100C/2100D AAA: the subscriber or dependent could not be identified (72, 73, 75, 58…).
                    rejections.Add(Rejection(s, "2100" + suffix));
                    break;
                case "DMG" when name is not null:
                    birth = Elements.BirthDate(s);
                    gender = Elements.Gender(s);
                    break;
                case "INS" when name is not null:
                    relationship = s.Optional(2);
                    break;
                case "DTP" when name is not null:
                    // 271 2100C/2100D DTP: plan (291), plan begin/end (346/347), eligibility begin/end (356/357)…
                    dates.Add(Date(s));
                    break;
                case "PRV" or "HI" or "MPI" when name is not null:
                    break; // provider, diagnosis and military details: not used by eligibility at check-in
                case "EB" when name is not null:
                    benefit = new BenefitBuilder(s, "2110" + suffix);
                    break;
                default:
                    throw NotAllowed(s, (name is null ? "2000" : "2100") + suffix);
            }
        }
        if (benefit is not null) benefits.Add(benefit.Build());
        if (name is null) throw Missing(level, $"NM1 {(dependent ? "dependent" : "subscriber")} name (loop 2100{suffix})");
        return new EligibilityMember(name, dependent ? null : name.Id, address, birth, gender, relationship, traces, references, dates, rejections, benefits);
    }

    /// <summary>Collects one 2110 loop: EB, then HSD, REF, DTP, AAA, MSG, 2115 III and 2120 LS…LE.</summary>
    private sealed class BenefitBuilder
    {
        private readonly X12Segment _eb;
        private readonly string _loop;
        private readonly List<EligibilityDelivery> _deliveries = [];
        private readonly List<EligibilityReference> _references = [];
        private readonly List<EligibilityDate> _dates = [];
        private readonly List<EligibilityRejection> _rejections = [];
        private readonly List<string> _messages = [];
        private readonly List<EligibilityAdditionalInformation> _additional = [];
        private readonly List<EligibilityBenefitEntity> _entities = [];
        private X12Segment? _ls;
        private EntityBuilder? _entity;

        public BenefitBuilder(X12Segment eb, string loop)
        {
            _eb = eb;
            _loop = loop;
            if (!EligibilityCodeTables.EligibilityOrBenefit.ContainsKey(eb[1]))
                throw new X12FormatException(eb.Has(1)
                    ? $"EB01 \"{eb[1]}\" is not an eligibility or benefit information code"
                    : "EB01 (eligibility or benefit information code) is missing", eb);
        }

        public void Add(X12Segment s)
        {
            if (_ls is not null)
            {
                // 2120: benefit-related entities between LS and LE.
                switch (s.Id)
                {
                    case "NM1":
                        CloseEntity();
                        _entity = new EntityBuilder(Entity(s, _loop.Replace("2110", "2120")), s.Optional(10));
                        return;
                    case "N3" or "N4" or "PER" or "PRV" when _entity is not null:
                        _entity.Add(s);
                        return;
                    case "LE":
                        if (s[1] != _ls[1]) throw new X12FormatException($"LE01 \"{s[1]}\" does not match LS01 \"{_ls[1]}\"", s);
                        CloseEntity();
                        _ls = null;
                        return;
                    default:
                        throw NotAllowed(s, _loop.Replace("2110", "2120") + " (between LS and LE)");
                }
            }
            switch (s.Id)
            {
                case "HSD":
                    _deliveries.Add(new EligibilityDelivery(s.Optional(1), Elements.Decimal(s, 2), s.Optional(3), Elements.Decimal(s, 4),
                        s.Has(5) ? EligibilityCodes.TimePeriod(s[5]) : null, Elements.Decimal(s, 6), s.Optional(7), s.Optional(8)));
                    break;
                case "REF":
                    _references.Add(Reference(s));
                    break;
                case "DTP":
                    _dates.Add(Date(s));
                    break;
                case "AAA":
                    // 271 2110C/2110D AAA: this one benefit inquiry could not be answered.
                    _rejections.Add(Rejection(s, _loop));
                    break;
                case "MSG":
                    _messages.Add(s[1]);
                    break;
                case "III":
                    _additional.Add(new EligibilityAdditionalInformation(s.Optional(1), s.Optional(2), s.Optional(3), s.Optional(4)));
                    break;
                case "LS":
                    if (!s.Has(1)) throw new X12FormatException("LS01 (loop identifier code) is missing", s);
                    _ls = s;
                    break;
                case "LE":
                    throw new X12FormatException("LE without a matching LS", s);
                default:
                    throw NotAllowed(s, _loop);
            }
        }

        private void CloseEntity()
        {
            if (_entity is not null) _entities.Add(_entity.Build());
            _entity = null;
        }

        public EligibilityBenefit Build()
        {
            if (_ls is not null) throw new X12FormatException($"LS*{_ls[1]} is not closed with LE before the loop ends", _ls);
            var eb = _eb;
            var network = Elements.Indicator(eb, 12, "Y", "N", "U", "W") switch
            {
                "Y" => NetworkIndicator.InNetwork,
                "N" => NetworkIndicator.OutOfNetwork,
                "W" => NetworkIndicator.Both,
                "U" => NetworkIndicator.Unknown,
                _ => (NetworkIndicator?)null,
            };
            var authorization = Elements.Indicator(eb, 11, "Y", "N", "U") switch
            {
                "Y" => true,
                "N" => (bool?)false,
                _ => null,
            };
            var percent = Elements.Decimal(eb, 8);
            if (percent is < 0 or > 1)
                throw new X12FormatException($"EB08 \"{eb[8]}\" is a percentage as a decimal and must lie between 0 and 1 (0.2 is 20 %)", eb);
            return new EligibilityBenefit(
                EligibilityCodes.EligibilityOrBenefit(eb[1]),
                eb.Has(2) ? EligibilityCodes.CoverageLevel(eb[2]) : null,
                eb.Repetitions(3).Where(r => r.Length > 0).Select(EligibilityCodes.ServiceType).ToList(),
                eb.Has(4) ? EligibilityCodes.InsuranceType(eb[4]) : null,
                eb.Optional(5),
                eb.Has(6) ? EligibilityCodes.TimePeriod(eb[6]) : null,
                Elements.Decimal(eb, 7),
                percent,
                eb.Has(9) ? EligibilityCodes.QuantityQualifier(eb[9]) : null,
                Elements.Decimal(eb, 10),
                authorization,
                network,
                eb.Component(13, 1) is { Length: > 0 } q ? q : null,
                eb.Component(13, 2) is { Length: > 0 } c ? c : null,
                _deliveries, _references, _dates, _rejections, _messages, _additional, _entities, eb.Position);
        }
    }

    private sealed class EntityBuilder(EligibilityEntity entity, string? relationship)
    {
        private readonly List<EligibilityContact> _contacts = [];
        private EligibilityAddress? _address;
        private string? _taxonomy;

        public void Add(X12Segment s)
        {
            switch (s.Id)
            {
                case "N3" or "N4":
                    _address = WithAddress(_address, s);
                    break;
                case "PER":
                    _contacts.Add(Contact(s));
                    break;
                case "PRV":
                    _taxonomy = s.Optional(3);
                    break;
            }
        }

        public EligibilityBenefitEntity Build() =>
            new(entity, relationship, _address, _contacts, _taxonomy);
    }

    /// <summary>The address with an N3 (street lines) or N4 (city, state, postal code) added.</summary>
    private static EligibilityAddress WithAddress(EligibilityAddress? address, X12Segment s)
    {
        var current = address ?? new EligibilityAddress(null, null, null, null, null);
        return s.Id == "N3"
            ? current with { Line1 = s.Optional(1), Line2 = s.Optional(2) }
            : current with { City = s.Optional(1), State = s.Optional(2), PostalCode = s.Optional(3) };
    }

    private static EligibilityEntity Entity(X12Segment nm1, string loop)
    {
        if (!nm1.Has(1)) throw new X12FormatException("NM101 (entity identifier code) is missing", nm1);
        if (nm1[2] is not ("1" or "2")) throw new X12FormatException($"NM102 must be 1 (person) or 2 (non-person entity), found \"{nm1[2]}\"", nm1);
        if (nm1.Has(8) != nm1.Has(9)) throw new X12FormatException("NM108 and NM109 must be sent together (identification code qualifier and code)", nm1);
        return new EligibilityEntity(loop, nm1[1], nm1[2] == "1", nm1.Optional(3), nm1.Optional(4), nm1.Optional(5), nm1.Optional(7), nm1.Optional(8), nm1.Optional(9));
    }

    private static EligibilityRejection Rejection(X12Segment aaa, string loop)
    {
        if (aaa[1] is not ("Y" or "N")) throw new X12FormatException($"AAA01 must be Y or N, found \"{aaa[1]}\"", aaa);
        if (!aaa.Has(3)) throw new X12FormatException("AAA03 (reject reason code) is missing", aaa);
        return new EligibilityRejection(loop, aaa[1] == "Y", EligibilityCodes.RejectReason(aaa[3]),
            aaa.Has(4) ? EligibilityCodes.FollowUpAction(aaa[4]) : null, aaa.Position);
    }

    private static EligibilityReference Reference(X12Segment s)
    {
        if (!s.Has(1) || !s.Has(2)) throw new X12FormatException("REF01 and REF02 (qualifier and identifier) are required", s);
        return new EligibilityReference(EligibilityCodes.ReferenceQualifier(s[1]), s[2], s.Optional(3));
    }

    private static EligibilityDate Date(X12Segment s)
    {
        if (!s.Has(1)) throw new X12FormatException("DTP01 (date/time qualifier) is missing", s);
        var (start, end) = Elements.DatePeriod(s);
        return new EligibilityDate(EligibilityCodes.DateQualifier(s[1]), start, end);
    }

    private static EligibilityContact Contact(X12Segment per)
    {
        var numbers = new List<EligibilityCommunication>();
        for (var i = 3; i <= 7; i += 2)
            if (per.Has(i) && per.Has(i + 1))
                numbers.Add(new EligibilityCommunication(per[i], per[i + 1]));
        return new EligibilityContact(per.Optional(2), numbers);
    }

    private static X12FormatException NotAllowed(X12Segment s, string loop) =>
        new($"{s.Id} is not allowed here: the 271 (005010X279A1) does not carry it in loop {loop}", s);

    private static X12FormatException Missing(HlLevel level, string what) =>
        new($"HL {level.Hl[1]} (level {level.Code}) has no {what}, which is required", level.Hl);
}
