// The order form (order_form.html): add and remove item rows; the form itself posts as HTML.

function addRow(items) {
  const row = items.querySelector("tr.item-row").cloneNode(true);
  for (const input of row.querySelectorAll("input")) {
    input.value = input.name === "quantity" ? "1" : "";
  }
  items.append(row);
  row.querySelector("input").focus();
}

function start(items, addButton) {
  addButton.addEventListener("click", () => addRow(items));
  items.addEventListener("click", (event) => {
    const remove = event.target.closest("button.remove-row");
    if (remove && items.querySelectorAll("tr.item-row").length > 1) {
      remove.closest("tr").remove();
    }
  });
}

const items = document.querySelector("#items tbody");
const addButton = document.getElementById("add-row");
if (items && addButton) start(items, addButton);
