package dev.actlab.inspect;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rule that produced a finding: a name, a sentence a person can check the finding against,
 * and the parameters it was applied with (written to the JSON report, keys sorted).
 */
public record Rule(String name, String description, Map<String, Object> params) {
    public Rule { params = Collections.unmodifiableMap(new TreeMap<>(params)); }
}
