namespace Meridian.SharedKernel;

/// <summary>A code from a code system, as FHIR's Coding: every clinical or administrative code is carried this way.</summary>
public sealed record Coding(string System, string Code, string? Display = null)
{
    public override string ToString() => Display is null ? $"{System}|{Code}" : $"{System}|{Code} ({Display})";
}

/// <summary>Well-known code system URIs used across modules.</summary>
public static class CodeSystems
{
    public const string AdministrativeGender = "http://hl7.org/fhir/administrative-gender";
    public const string Snomed = "http://snomed.info/sct";
    public const string Loinc = "http://loinc.org";
    public const string CdcRaceEthnicity = "urn:oid:2.16.840.1.113883.6.238";
    public const string Bcp47 = "urn:ietf:bcp:47";
    public const string NullFlavor = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";
    public const string IdentifierType = "http://terminology.hl7.org/CodeSystem/v2-0203";
    public const string SubscriberRelationship = "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
}
