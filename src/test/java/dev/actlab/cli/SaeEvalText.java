package dev.actlab.cli;

final class SaeEvalText {
    static final String TEXT = "The Fulton County Grand Jury said Friday an investigation of the city's recent primary election "
            + "produced no evidence that any irregularities took place. The jury further said in term-end presentments that the "
            + "City Executive Committee, which had over-all charge of the election, deserves the praise and thanks of the City of "
            + "Atlanta for the manner in which the election was conducted. It recommended that Fulton legislators act to have "
            + "these laws studied and revised to the end of modernizing and improving them. The grand jury commented on a number "
            + "of other topics, among them the Atlanta and Fulton County purchasing departments which it said are well operated.\n";
}
