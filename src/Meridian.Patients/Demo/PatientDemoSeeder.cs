using Bogus;
using Meridian.Audit.Contracts;
using Meridian.Patients.Contracts;
using Meridian.Patients.Data;
using Meridian.Patients.Domain;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Meridian.Patients.Demo;

/// <summary>
/// Synthetic patients for the demo practice and the benchmark: US names and addresses, realistic payers, some
/// secondary coverage, parents as guarantors and subscribers for children. Deterministic for a given seed (ids aside).
/// Rows go in by batches of <c>batchSize</c> in one transaction each, with the observers (the FHIR projection) called
/// per batch; the per-row audit is replaced by one audit entry for the whole run, written by the system actor.
/// </summary>
internal sealed class PatientDemoSeeder(PatientsDbContext db, PatientStore store, IAuditTrail audit, DatabaseOptions options, TimeProvider time) : IDemoSeeder
{
    public int Order => 30;

    Task IDemoSeeder.SeedAsync(CancellationToken ct) => SeedDemoIfEmptyAsync(ct: ct);

    public const int DemoPatientCount = 2_500;

    /// <summary>Seeds the demo practice's patients unless patients already exist. Returns how many were added.</summary>
    public async Task<int> SeedDemoIfEmptyAsync(int count = DemoPatientCount, CancellationToken ct = default)
    {
        if (await db.Patients.AnyAsync(ct)) return 0;
        return await SeedAsync(count, seed: 1729, ct: ct);
    }

    public async Task<int> SeedAsync(int count, int seed = 1729, int batchSize = 1_000, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var faker = new Faker("en_US") { Random = new Randomizer(seed) };
        var today = DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        var autoDetect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            var done = 0;
            while (done < count)
            {
                var n = Math.Min(batchSize, count - done);
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var dbTx = tx.GetDbTransaction();
                var mrns = await store.AllocateMrnsAsync(dbTx, n, ct);
                var now = time.GetUtcNow();
                var batch = new List<Patient>(n);
                for (var i = 0; i < n; i++)
                {
                    var patient = NewPatient(faker, mrns[i], today, now);
                    batch.Add(patient);
                    db.Patients.Add(patient);
                }
                await db.SaveChangesAsync(ct);
                await store.NotifyAsync(batch.Select(p => PatientMapping.Snapshot(p, p.Coverages)).ToList(), dbTx, ct);
                await tx.CommitAsync(ct);
                db.ChangeTracker.Clear();
                done += n;
            }
            await audit.RecordAsync(new AuditEntry(AuditAction.Create, "Patient",
                Detail: $"Demo data: seeded {count} synthetic patients with coverage (seed {seed}); per-patient audit bypassed for seeding.")
            {
                UserNameOverride = "demo-seeder",
                RoleOverride = "system",
            }, ct);
            await AnalyzeAsync(ct);
            return count;
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = autoDetect;
        }
    }

    /// <summary>Fresh planner statistics after a bulk load, so name-prefix searches pick the name indexes.</summary>
    private async Task AnalyzeAsync(CancellationToken ct)
    {
        var tables = new[] { "patient", "patient_phone", "coverage" }.Select(t => ModuleDatabase.QualifiedTable(options.Provider, PatientsDbContext.Schema, t));
        foreach (var table in tables)
#pragma warning disable EF1002 // table names are constants built from the module schema, not input
            await db.Database.ExecuteSqlRawAsync($"ANALYZE {table}", ct);
#pragma warning restore EF1002
    }

    private static readonly (string Name, string PayerId, string[] Plans, string MemberPrefix)[] Commercial =
    [
        ("Aetna", "60054", ["Aetna Choice POS II", "Aetna Open Access HMO", "Aetna PPO"], "W"),
        ("UnitedHealthcare", "87726", ["UnitedHealthcare Choice Plus", "UHC Navigate HMO", "UHC Options PPO"], "9"),
        ("Cigna", "62308", ["Cigna Open Access Plus", "Cigna LocalPlus", "Cigna PPO"], "U"),
        ("Blue Cross Blue Shield", "00590", ["BlueCard PPO", "Blue Choice HMO", "Blue Advantage"], "XOD"),
        ("Anthem Blue Cross", "00227", ["Anthem PPO", "Anthem Pathway HMO"], "ANT"),
        ("Humana", "61101", ["Humana Choice PPO", "Humana Gold Plus HMO"], "H"),
        ("Kaiser Permanente", "94134", ["Kaiser HMO", "Kaiser Deductible HMO"], "K"),
        ("Oscar Health", "OSCAR", ["Oscar Silver", "Oscar Bronze"], "OSC"),
        ("Tricare East", "TREST", ["TRICARE Prime", "TRICARE Select"], "TR"),
    ];

    private static readonly (string Name, string PayerId, string[] Plans)[] Supplemental =
    [
        ("AARP Medicare Supplement (UnitedHealthcare)", "36273", ["Plan G", "Plan N", "Plan F"]),
        ("Mutual of Omaha", "71412", ["Medicare Supplement Plan G"]),
        ("Aetna Medicare Supplement", "60054", ["Plan G", "Plan N"]),
    ];

    private static readonly string[] Languages = ["en", "en", "en", "en", "en", "en", "en", "en", "en", "en", "en", "en", "es", "es", "es", "zh", "vi", "ko", "tl", "ru", "ar", "fr"];
    private static readonly (string Code, string Display)[] Races =
    [
        ("2106-3", "White"), ("2106-3", "White"), ("2106-3", "White"), ("2106-3", "White"), ("2054-5", "Black or African American"),
        ("2028-9", "Asian"), ("1002-5", "American Indian or Alaska Native"), ("2076-8", "Native Hawaiian or Other Pacific Islander"), ("2131-1", "Other Race"),
    ];
    // A few names with accents, apostrophes and hyphens, so search normalization is exercised by the demo data too.
    private static readonly string[] ExtraFamilies = ["García", "Núñez", "O'Brien", "D'Angelo", "Smith-Jones", "Nguyễn", "Müller", "Peña", "Ødegaard", "McDonald"];
    private static readonly string[] ExtraGivens = ["José", "Zoë", "Renée", "Chloé", "André", "Søren", "Aurélie", "Siobhán", "Björn", "Inés"];

    private static Patient NewPatient(Faker f, string mrn, DateOnly today, DateTimeOffset now)
    {
        var sex = f.Random.Bool() ? Bogus.DataSets.Name.Gender.Female : Bogus.DataSets.Name.Gender.Male;
        var gender = sex == Bogus.DataSets.Name.Gender.Female ? "female" : "male";
        if (f.Random.Int(1, 200) == 1) gender = "other";
        var family = f.Random.Int(1, 12) == 1 ? f.PickRandom(ExtraFamilies) : f.Name.LastName();
        var given = f.Random.Int(1, 15) == 1 ? f.PickRandom(ExtraGivens) : f.Name.FirstName(sex);
        var givens = f.Random.Int(1, 3) == 1 ? new List<string> { given, f.Name.FirstName(sex) } : [given];
        // Age mix of a family practice: about one in five a child, one in five 65 or older.
        var age = f.Random.WeightedRandom([f.Random.Int(0, 17), f.Random.Int(18, 64), f.Random.Int(65, 98)], [0.2f, 0.6f, 0.2f]);
        var birth = today.AddYears(-age).AddDays(-f.Random.Int(0, 364));
        if (birth < PatientRules.EarliestBirthDate) birth = PatientRules.EarliestBirthDate;

        var address = new PostalAddress([f.Address.StreetAddress()], f.Address.City(), f.Address.StateAbbr(), f.Address.ZipCode("#####"));
        var phone = f.Phone.PhoneNumber("(###) ###-####");
        var telecom = new List<ContactPoint> { new("phone", phone, f.Random.Bool(0.7f) ? "mobile" : "home", 1) };
        if (f.Random.Bool(0.7f))
            telecom.Add(new ContactPoint("email", f.Internet.Email(given, family).Replace("'", "", StringComparison.Ordinal), "home"));
        var race = f.PickRandom(Races);
        var hispanic = f.Random.Bool(0.18f);
        var language = f.PickRandom(Languages);
        var parentFamily = family;
        var parent = new PersonName(parentFamily, [f.Name.FirstName()]);
        var minor = age < 18;

        var details = new PatientDetails(
            new PersonName(family, givens),
            birth,
            gender,
            PreferredName: f.Random.Bool(0.08f) ? new PersonName(family, [given.Length > 3 ? given[..3] : given + "y"], Use: "usual") : null,
            BirthSex: gender switch { "female" => "F", "male" => "M", _ => "UNK" },
            GenderIdentity: f.Random.Bool(0.3f) ? gender switch
            {
                "female" => new Coding(CodeSystems.Snomed, "446141000124107", "Identifies as female gender"),
                "male" => new Coding(CodeSystems.Snomed, "446151000124109", "Identifies as male gender"),
                _ => new Coding(CodeSystems.Snomed, "33791000087105", "Identifies as nonbinary gender"),
            } : null,
            Race: [new Coding(CodeSystems.CdcRaceEthnicity, race.Code, race.Display)],
            RaceText: race.Display,
            Ethnicity: [hispanic ? new Coding(CodeSystems.CdcRaceEthnicity, "2135-2", "Hispanic or Latino") : new Coding(CodeSystems.CdcRaceEthnicity, "2186-5", "Not Hispanic or Latino")],
            EthnicityText: hispanic ? "Hispanic or Latino" : "Not Hispanic or Latino",
            PreferredLanguage: new Coding(CodeSystems.Bcp47, language),
            Addresses: [address],
            Telecom: telecom,
            ContactPreferences: new ContactPreferences(f.PickRandom("phone", "sms", "email", "portal"), AllowSms: f.Random.Bool(0.8f)),
            EmergencyContact: f.Random.Bool(0.7f)
                ? new EmergencyContact(minor ? parent.Display : f.Name.FullName(), new Coding("http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact"),
                    f.Phone.PhoneNumber("(###) ###-####"), null)
                : null,
            Guarantor: minor
                ? new Guarantor("parent", parent, birth.AddYears(-f.Random.Int(20, 40)), address, phone)
                : f.Random.Bool(0.6f) ? new Guarantor("self") : null,
            DeceasedDate: age > 80 && f.Random.Bool(0.03f) ? today.AddDays(-f.Random.Int(1, 700)) : null);

        var patient = new Patient { Id = TypedIds.NewGuid(TimeProvider.System), Mrn = mrn, Version = 1, CreatedAt = now, UpdatedAt = now, Active = true };
        PatientMapping.Apply(patient, details);

        var coverages = new List<CoverageDetails>();
        var start = new DateOnly(today.Year, 1, 1).AddYears(-f.Random.Int(0, 3));
        if (f.Random.Bool(0.93f))
        {
            if (age >= 65)
            {
                coverages.Add(new CoverageDetails(1, "Medicare Part B", "MEDICARE", "Original Medicare", MedicareId(f), null, "self", null, null, start, null));
                if (f.Random.Bool(0.5f))
                {
                    var s = f.PickRandom(Supplemental);
                    coverages.Add(new CoverageDetails(2, s.Name, s.PayerId, f.PickRandom(s.Plans), f.Random.Replace("#########"), null, "self", null, null, start, null));
                }
            }
            else if (f.Random.Bool(0.18f))
            {
                coverages.Add(new CoverageDetails(1, "Medicaid", "SKMCD", "State Medicaid", f.Random.Replace("??#######").ToUpperInvariant(),
                    null, minor ? "child" : "self", minor ? parent : null, null, start, null));
            }
            else
            {
                var p = f.PickRandom(Commercial);
                var group = f.Random.Replace("######");
                coverages.Add(new CoverageDetails(1, p.Name, p.PayerId, f.PickRandom(p.Plans), p.MemberPrefix + f.Random.Replace("#########"), group,
                    minor ? "child" : f.Random.Bool(0.2f) ? "spouse" : "self",
                    minor ? parent : null, minor ? birth.AddYears(-30) : null, start, f.Random.Bool(0.05f) ? start.AddYears(1).AddDays(-1) : null));
                if (coverages[0].SubscriberRelationship == "spouse")
                    coverages[0] = coverages[0] with { Subscriber = new PersonName(family, [f.Name.FirstName()]), SubscriberBirthDate = birth.AddYears(f.Random.Int(-5, 5)) is var sb && sb < today ? sb : null };
                if (f.Random.Bool(0.1f))
                {
                    var s2 = f.PickRandom(Commercial.Where(c => c.Name != p.Name).ToArray());
                    coverages.Add(new CoverageDetails(2, s2.Name, s2.PayerId, f.PickRandom(s2.Plans), s2.MemberPrefix + f.Random.Replace("#########"),
                        f.Random.Replace("######"), "spouse", new PersonName(family, [f.Name.FirstName()]), null, start, null));
                }
            }
        }
        foreach (var c in coverages)
        {
            var coverage = new Coverage { Id = TypedIds.NewGuid(TimeProvider.System), PatientId = patient.Id, Version = 1, CreatedAt = now, UpdatedAt = now, Active = true };
            PatientMapping.Apply(coverage, c);
            patient.Coverages.Add(coverage);
        }
        return patient;
    }

    /// <summary>A Medicare Beneficiary Identifier shape (CMS MBI: 11 characters, no S, L, O, I, B, Z).</summary>
    private static string MedicareId(Faker f)
    {
        const string letters = "ACDEFGHJKMNPQRTUVWXY";
        char L() => letters[f.Random.Int(0, letters.Length - 1)];
        char D() => (char)('0' + f.Random.Int(0, 9));
        char A() => f.Random.Bool() ? L() : D();
        return new string([(char)('1' + f.Random.Int(0, 8)), L(), A(), D(), L(), A(), D(), L(), L(), D(), D()]);
    }
}
