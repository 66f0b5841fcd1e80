package dev.actlab.steer;

import static dev.actlab.io.chart.Svg.esc;

import dev.actlab.inspect.HtmlReport;
import dev.actlab.io.chart.LineChart;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What `actlab probe train` writes: probe.json's fields and probe.html (accuracy and AUROC against layer). */
public final class ProbeReport {
    private ProbeReport() {}

    public static Map<String, Object> json(String source, ProbeData d, ProbeEvaluation.Result r) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("model", source);
        j.put("data", d.source());
        j.put("rows", r.rows());
        j.put("classes", r.classes());
        j.put("majority_share", r.majorityShare());
        j.put("folds", r.folds());
        j.put("folds_keep_pairs_together", r.grouped());
        j.put("l2", r.l2());
        j.put("seed", r.seed());
        List<Map<String, Object>> sites = new ArrayList<>();
        for (ProbeEvaluation.Site s : r.sites()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("site", s.site());
            e.put("layer", s.layer());
            e.put("logistic_accuracy", s.logistic().accuracy());
            e.put("logistic_auroc", s.logistic().auroc());
            e.put("mass_mean_accuracy", s.massMean().accuracy());
            e.put("mass_mean_auroc", s.massMean().auroc());
            if (s.logisticShuffled() != null) {
                e.put("shuffled_labels_accuracy", s.logisticShuffled().accuracy());
                e.put("shuffled_labels_auroc", s.logisticShuffled().auroc());
            }
            sites.add(e);
        }
        j.put("sites", sites);
        return j;
    }

    public static String html(String source, ProbeData d, ProbeEvaluation.Result r) {
        List<String> names = new ArrayList<>();
        int n = r.sites().size();
        double[] la = new double[n], ma = new double[n], lu = new double[n], mu = new double[n], sh = new double[n], chance = new double[n];
        boolean shuffled = n > 0 && r.sites().get(0).logisticShuffled() != null;
        for (int i = 0; i < n; i++) {
            ProbeEvaluation.Site s = r.sites().get(i);
            names.add(s.layer() >= 0 ? Integer.toString(s.layer()) : s.site());
            la[i] = s.logistic().accuracy(); ma[i] = s.massMean().accuracy();
            lu[i] = s.logistic().auroc(); mu[i] = s.massMean().auroc();
            sh[i] = shuffled ? s.logisticShuffled().accuracy() : Double.NaN;
            chance[i] = r.majorityShare();
        }
        StringBuilder h = new StringBuilder(1 << 13);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>actlab probe \u2013 ").append(esc(source))
                .append("</title>\n<style>").append(HtmlReport.css()).append("</style></head><body>\n<h1>actlab probe</h1>\n<div class=\"meta\">model <code>")
                .append(esc(source)).append("</code> \u00b7 data <code>").append(esc(d.source())).append("</code> \u00b7 ").append(r.rows()).append(" rows \u00b7 classes ")
                .append(esc(r.classes().toString())).append(" \u00b7 ").append(r.folds()).append("-fold cross-validation, seed ").append(r.seed()).append("</div>\n");
        h.append("<p class=\"rule\">Held-out accuracy and AUROC per site. Logistic: multinomial logistic regression on standardised features (L2 ")
                .append(esc(Double.toString(r.l2()))).append("). Mass-mean: the nearest class mean (Marks and Tegmark 2023). Chance: the majority class's share.</p>\n");
        LineChart acc = new LineChart("held-out accuracy against layer", "layer", "accuracy", names, false).add("logistic", la).add("mass-mean", ma).add("majority class", chance);
        if (shuffled) acc.add("logistic, shuffled labels", sh);
        h.append(acc.svg(900, 380));
        h.append(new LineChart("held-out AUROC against layer", "layer", "AUROC", names, false).add("logistic", lu).add("mass-mean", mu).svg(900, 380));
        return h.append("</body></html>\n").toString();
    }
}
