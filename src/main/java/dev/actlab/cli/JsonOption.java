package dev.actlab.cli;

import picocli.CommandLine.Option;

/** --json, shared by every command that reports: results as JSON for machines instead of text for people. */
final class JsonOption {
    @Option(names = "--json", descriptionKey = "json", description = "Print JSON instead of text.") boolean enabled;
}
