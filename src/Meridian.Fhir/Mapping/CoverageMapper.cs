using System.Text.Json;
using Meridian.Fhir.Search;
using Meridian.Patients.Contracts;
using Meridian.SharedKernel;
using Meridian.SharedKernel.Errors;
using static Meridian.Fhir.Mapping.FhirJson;

namespace Meridian.Fhir.Mapping;

/// <summary>Coverage ⇄ US Core 6.1 Coverage. A subscriber other than the patient is a contained RelatedPerson.</summary>
internal static class CoverageMapper
{
    public const string Profile = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-coverage";
    public const string PayerIdSystem = "urn:meridian:payer-id";
    private const string ClassSystem = "http://terminology.hl7.org/CodeSystem/coverage-class";

    public static byte[] Render(CoverageSnapshot c) => Write(w =>
    {
        var d = c.Details;
        var patientRef = $"Patient/{c.PatientId}";
        var self = d.SubscriberRelationship == "self";
        w.WriteStartObject();
        w.WriteString("resourceType", "Coverage");
        w.WriteString("id", c.Id.ToString());
        w.Meta(c.Version, c.LastUpdated, Profile);
        if (!self && d.Subscriber is { } subscriber)
        {
            w.WriteStartArray("contained");
            w.WriteStartObject();
            w.WriteString("resourceType", "RelatedPerson");
            w.WriteString("id", "subscriber");
            w.WriteStartObject("patient");
            w.WriteString("reference", patientRef);
            w.WriteEndObject();
            w.WriteStartArray("relationship");
            w.WriteStartObject();
            w.WriteStartArray("coding");
            w.CodingValue(new Coding(CodeSystems.SubscriberRelationship, d.SubscriberRelationship));
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("name");
            PatientMapper.Name(w, subscriber);
            w.WriteEndArray();
            w.Date("birthDate", d.SubscriberBirthDate);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteStartArray("identifier");
        w.WriteStartObject();
        w.Concept("type", [new Coding(CodeSystems.IdentifierType, "MB", "Member Number")]);
        w.WriteString("value", d.MemberId);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteString("status", c.Active ? "active" : "cancelled");
        w.WriteStartObject("subscriber");
        w.WriteString("reference", self || d.Subscriber is null ? patientRef : "#subscriber");
        w.WriteEndObject();
        w.WriteString("subscriberId", d.MemberId);
        w.WriteStartObject("beneficiary");
        w.WriteString("reference", patientRef);
        w.WriteEndObject();
        w.Concept("relationship", [new Coding(CodeSystems.SubscriberRelationship, d.SubscriberRelationship)]);
        w.Period("period", d.EffectiveStart, d.EffectiveEnd);
        w.WriteStartArray("payor");
        w.WriteStartObject();
        if (!string.IsNullOrWhiteSpace(d.PayerId))
        {
            w.WriteStartObject("identifier");
            w.WriteString("system", PayerIdSystem);
            w.WriteString("value", d.PayerId);
            w.WriteEndObject();
        }
        w.WriteString("display", d.PayerName);
        w.WriteEndObject();
        w.WriteEndArray();
        if (!string.IsNullOrWhiteSpace(d.PlanName) || !string.IsNullOrWhiteSpace(d.GroupNumber))
        {
            w.WriteStartArray("class");
            if (!string.IsNullOrWhiteSpace(d.GroupNumber)) Class(w, "group", "Group", d.GroupNumber, null);
            if (!string.IsNullOrWhiteSpace(d.PlanName)) Class(w, "plan", "Plan", d.PlanName, d.PlanName);
            w.WriteEndArray();
        }
        w.WriteNumber("order", d.Rank);
        w.WriteEndObject();
    });

    private static void Class(Utf8JsonWriter w, string code, string display, string value, string? name)
    {
        w.WriteStartObject();
        w.Concept("type", [new Coding(ClassSystem, code, display)]);
        w.WriteString("value", value);
        w.Str("name", name);
        w.WriteEndObject();
    }

    /// <summary>The beneficiary and coverage data of a FHIR Coverage.</summary>
    public static (PatientId Patient, CoverageDetails Details) Parse(JsonElement r)
    {
        var v = new Validator();
        var beneficiary = O(r, "beneficiary") is { } b ? ReferenceValue.Parse(S(b, "reference")) : null;
        PatientId? patient = beneficiary is { Type: "Patient" or null } ? PatientId.TryParse(beneficiary.Id) : null;
        if (patient is null) v.Add("Coverage.beneficiary", "must reference a Meridian patient as Patient/{id}.");
        var payor = A(r, "payor").FirstOrDefault();
        var payerName = payor.ValueKind == JsonValueKind.Object ? S(payor, "display") : null;
        if (string.IsNullOrWhiteSpace(payerName)) v.Add("Coverage.payor", "needs a display with the payer's name.");
        var payerId = payor.ValueKind == JsonValueKind.Object && O(payor, "identifier") is { } pid ? S(pid, "value") : null;
        var memberId = S(r, "subscriberId") ?? A(r, "identifier").Where(i => FirstCoding(O(i, "type"))?.Code == "MB").Select(i => S(i, "value")).FirstOrDefault();
        if (string.IsNullOrWhiteSpace(memberId)) v.Add("Coverage.subscriberId", "is required (the member id).");
        var classes = A(r, "class").ToList();
        string? ClassValue(string code, bool preferName) => classes.Where(c => FirstCoding(O(c, "type"))?.Code == code)
            .Select(c => preferName ? S(c, "name") ?? S(c, "value") : S(c, "value")).FirstOrDefault();
        var relationship = FirstCoding(O(r, "relationship"))?.Code ?? "self";
        var rank = r.TryGetProperty("order", out var order) && order.TryGetInt32(out var o) ? o : 0;
        if (rank is < 1 or > 3) v.Add("Coverage.order", "is required: 1 (primary), 2 (secondary) or 3 (tertiary).");
        PersonName? subscriber = null;
        DateOnly? subscriberBirth = null;
        var subscriberRef = O(r, "subscriber") is { } s ? S(s, "reference") : null;
        if (subscriberRef is { Length: > 1 } && subscriberRef[0] == '#')
        {
            var contained = A(r, "contained").FirstOrDefault(c => S(c, "id") == subscriberRef[1..]);
            if (contained.ValueKind == JsonValueKind.Object)
            {
                var name = A(contained, "name").FirstOrDefault();
                if (name.ValueKind == JsonValueKind.Object) subscriber = PatientMapper.PersonNameOf(name, "official");
                subscriberBirth = ParseDate(S(contained, "birthDate"), "Coverage.contained.birthDate", v);
            }
        }
        var period = O(r, "period");
        var start = period is { } p1 ? ParseDate(S(p1, "start"), "Coverage.period.start", v) : null;
        var end = period is { } p2 ? ParseDate(S(p2, "end"), "Coverage.period.end", v) : null;
        v.ThrowIfInvalid();
        return (patient!.Value, new CoverageDetails(rank, payerName!, payerId, ClassValue("plan", true), memberId!, ClassValue("group", false),
            relationship, subscriber, subscriberBirth, start, end));
    }
}
