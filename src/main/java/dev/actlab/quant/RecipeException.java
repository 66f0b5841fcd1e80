package dev.actlab.quant;

/** A recipe that does not parse or names impossible settings; the message names the character position. */
public final class RecipeException extends IllegalArgumentException {
    public final String recipe;
    public final int position;

    public RecipeException(String recipe, int position, String problem) {
        super("recipe \"" + recipe + "\" at position " + position + ": " + problem + "\n  " + recipe + "\n  " + " ".repeat(Math.max(0, position)) + "^");
        this.recipe = recipe; this.position = position;
    }
}
